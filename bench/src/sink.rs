//! The far ends of the benchmark, in this process: a helpdesk sink that verifies every
//! delivery's Standard Webhooks signature, and a fake of Naver's send API. Both record how long
//! after its scheduled send time each message arrived (its text is `t=<micros>`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hdrhistogram::Histogram;

pub struct Sink {
    pub secret: Mutex<Option<standardwebhooks::Webhook>>,
    pub latencies: Mutex<Histogram<u64>>,
    pub bad_signatures: AtomicU64,
    pub received: AtomicU64,
    /// The `webhook-id`s seen, so an at-least-once redelivery is told from a new event.
    pub ids: Mutex<HashSet<String>>,
    pub first_micros: AtomicU64,
    pub last_micros: AtomicU64,
    /// Arrival times at the fake provider, by recipient (one recipient per channel here).
    pub provider_calls: Mutex<HashMap<String, Vec<u64>>>,
}

impl Sink {
    pub fn new() -> anyhow::Result<Arc<Sink>> {
        Ok(Arc::new(Sink {
            secret: Mutex::new(None),
            latencies: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3)?),
            bad_signatures: AtomicU64::new(0),
            received: AtomicU64::new(0),
            ids: Mutex::new(HashSet::new()),
            first_micros: AtomicU64::new(0),
            last_micros: AtomicU64::new(0),
            provider_calls: Mutex::new(HashMap::new()),
        }))
    }

    /// Forgets what was received, keeping the secret.
    pub fn reset(&self) {
        if let Ok(mut h) = self.latencies.lock() {
            h.reset();
        }
        self.received.store(0, Ordering::SeqCst);
        if let Ok(mut ids) = self.ids.lock() {
            ids.clear();
        }
        self.first_micros.store(0, Ordering::SeqCst);
        self.last_micros.store(0, Ordering::SeqCst);
        if let Ok(mut calls) = self.provider_calls.lock() {
            calls.clear();
        }
    }

    pub fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }

    /// Distinct deliveries: those with a `webhook-id` counted once (requests without one, as
    /// the relay's fake provider gets, are not counted here).
    pub fn distinct(&self) -> u64 {
        self.ids
            .lock()
            .map(|ids| ids.len() as u64)
            .unwrap_or_default()
    }

    pub fn histogram(&self) -> Option<Histogram<u64>> {
        self.latencies.lock().map(|h| h.clone()).ok()
    }

    fn arrived(&self, arrived: u64, scheduled: Option<u64>) {
        if let Some(t) = scheduled {
            if let Ok(mut h) = self.latencies.lock() {
                let _ = h.record(arrived.saturating_sub(t).max(1));
            }
        }
        let _ = self
            .first_micros
            .compare_exchange(0, arrived, Ordering::SeqCst, Ordering::SeqCst);
        self.last_micros.fetch_max(arrived, Ordering::SeqCst);
        self.received.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

fn scheduled_micros(text: Option<&str>) -> Option<u64> {
    text?.strip_prefix("t=")?.parse().ok()
}

async fn receive(req: HttpRequest, body: web::Bytes, sink: web::Data<Arc<Sink>>) -> HttpResponse {
    let arrived = now_micros();
    let verified = {
        let guard = sink.secret.lock().ok();
        let wh = guard.as_ref().and_then(|g| g.as_ref());
        let mut headers = http::HeaderMap::new();
        for (k, v) in req.headers() {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(k.as_str().as_bytes()),
                http::HeaderValue::from_bytes(v.as_bytes()),
            ) {
                headers.insert(name, value);
            }
        }
        // Direct (baseline) posts carry no signature and are not checked.
        wh.map(|w| w.verify(&body, &headers).is_ok())
            .unwrap_or(true)
    };
    if !verified {
        sink.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::BadRequest().finish();
    }
    if let (Some(id), Ok(mut ids)) = (
        req.headers()
            .get("webhook-id")
            .and_then(|v| v.to_str().ok()),
        sink.ids.lock(),
    ) {
        ids.insert(id.to_string());
    }
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = v
        .pointer("/data/message/content/text")
        .and_then(|t| t.as_str());
    sink.arrived(arrived, scheduled_micros(text));
    HttpResponse::Ok().finish()
}

/// Naver's send API, answering success as Naver does.
async fn naver_send(body: web::Bytes, sink: web::Data<Arc<Sink>>) -> HttpResponse {
    let arrived = now_micros();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = v.pointer("/textContent/text").and_then(|t| t.as_str());
    if let (Some(user), Ok(mut calls)) = (
        v.get("user").and_then(|u| u.as_str()),
        sink.provider_calls.lock(),
    ) {
        calls.entry(user.to_string()).or_default().push(arrived);
    }
    sink.arrived(arrived, scheduled_micros(text));
    HttpResponse::Ok().json(serde_json::json!({"success": true, "resultCode": "00"}))
}

pub fn start(sink: Arc<Sink>, port: u16) -> anyhow::Result<actix_web::dev::Server> {
    let data = web::Data::new(sink);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/chatbot/v1/event", web::post().to(naver_send))
            .default_service(web::to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run())
}

/// The most calls any one recipient received within any `window` microseconds.
pub fn max_calls_in_window(calls: &HashMap<String, Vec<u64>>, window: u64) -> usize {
    let mut most = 0;
    for times in calls.values() {
        let mut t = times.clone();
        t.sort_unstable();
        let mut start = 0;
        for end in 0..t.len() {
            while t[end] - t[start] >= window {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_window_is_found_per_recipient() {
        let mut calls = HashMap::new();
        calls.insert("a".to_string(), vec![0, 1_000_000, 2_000_000, 3_000_000]);
        calls.insert("b".to_string(), vec![10, 20]);
        assert_eq!(max_calls_in_window(&calls, 3_000_000), 3);
        assert_eq!(max_calls_in_window(&calls, 1_000_000), 2);
    }
}

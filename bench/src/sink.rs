//! The helpdesk side of the benchmark: verifies every delivery's Standard Webhooks signature
//! and records how long after its scheduled send time it arrived.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hdrhistogram::Histogram;

pub struct Sink {
    pub secret: Mutex<Option<standardwebhooks::Webhook>>,
    pub latencies: Mutex<Histogram<u64>>,
    pub bad_signatures: Mutex<u64>,
}

impl Sink {
    pub fn new() -> anyhow::Result<Arc<Sink>> {
        Ok(Arc::new(Sink {
            secret: Mutex::new(None),
            latencies: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            bad_signatures: Mutex::new(0),
        }))
    }
}

pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// The scheduled send time is the text "t=<micros>" of the message.
fn scheduled_micros(body: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = v.pointer("/data/message/content/text")?.as_str()?;
    text.strip_prefix("t=")?.parse().ok()
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
        if let Ok(mut bad) = sink.bad_signatures.lock() {
            *bad += 1;
        }
        return HttpResponse::BadRequest().finish();
    }
    if let Some(t) = scheduled_micros(&body) {
        if let Ok(mut h) = sink.latencies.lock() {
            let _ = h.record(arrived.saturating_sub(t).max(1));
        }
    }
    HttpResponse::Ok().finish()
}

pub fn start(sink: Arc<Sink>, port: u16) -> anyhow::Result<actix_web::dev::Server> {
    let data = web::Data::new(sink);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run())
}

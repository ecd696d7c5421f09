//! Crash consistency: the real binary under load, killed with SIGKILL at random moments many
//! times and restarted on the same data directory. Every webhook answered 200 is stored and
//! delivered, and no delivery is marked delivered that the helpdesk never acknowledged (the
//! helpdesk fails a third of its requests at random).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::*;

const CYCLES: usize = 12;
const SENDERS: usize = 4;

/// A helpdesk that fails at random and remembers the `webhook-id`s it acknowledged.
#[derive(Clone, Default)]
struct FlakyHelpdesk {
    acked: Arc<Mutex<HashSet<String>>>,
}

impl Respond for FlakyHelpdesk {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if rand::thread_rng().gen_bool(0.33) {
            return ResponseTemplate::new(500);
        }
        if let Some(id) = req.headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
            self.acked.lock().unwrap().insert(id.to_string());
        }
        ResponseTemplate::new(200)
    }
}

/// The binary on `port` with its data in `dir`, retrying every 100 ms.
async fn start(dir: &std::path::Path, port: u16) -> GatewayProcess {
    let schedule = ["0s"; 1]
        .into_iter()
        .chain(["100ms"; 40])
        .collect::<Vec<_>>()
        .join(",");
    GatewayProcess::builder()
        .data(dir)
        .port(port)
        .retries(&schedule)
        .env("OMNIGATE__DELIVERY__REQUEST_TIMEOUT", "2s")
        .env("OMNIGATE__LOG__LEVEL", "error")
        .spawn()
        .await
}

/// Posts webhooks until told to stop; returns the texts answered 200.
async fn sender(url: String, who: usize, cycle: usize, stop: Arc<Mutex<bool>>) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut acked = Vec::new();
    for i in 0..200 {
        if *stop.lock().unwrap() {
            break;
        }
        let user = format!("user-{who}-{}", i % 3);
        let text = format!("c{cycle}-s{who}-{i}");
        let sent = client
            .post(&url)
            .header("content-type", "application/json")
            .body(naver_text(&user, &text))
            .send()
            .await;
        if sent.is_ok_and(|r| r.status() == 200) {
            acked.push(text);
        }
    }
    acked
}

/// Every stored message.received, as (event id, text).
async fn stored_texts(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = app
            .get(&format!(
                "/v1/events?type=message.received&limit=500{after}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        for e in page["items"].as_array().unwrap() {
            out.push((
                e["data"]["event_id"].as_str().unwrap().to_string(),
                e["data"]["message"]["content"]["text"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

async fn all_deliveries(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = app.get(&format!("/v1/deliveries?limit=500{after}")).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        out.extend(items);
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_acked_webhook_and_fakes_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let flaky = FlakyHelpdesk::default();
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(flaky.clone())
        .mount(&helpdesk)
        .await;
    let mut child = start(dir.path(), port).await;
    let app = child.app();
    app.destination(
        &helpdesk.uri(),
        json!({"event_types": ["message.received"]}),
    )
    .await;
    let (_, hook) = app.approved_naver_channel().await;

    let mut acked: Vec<String> = Vec::new();
    for cycle in 0..CYCLES {
        if cycle > 0 {
            child = start(dir.path(), port).await;
        }
        let stop = Arc::new(Mutex::new(false));
        let senders: Vec<_> = (0..SENDERS)
            .map(|who| tokio::spawn(sender(hook.clone(), who, cycle, stop.clone())))
            .collect();
        let run_for = rand::thread_rng().gen_range(150..900);
        tokio::time::sleep(Duration::from_millis(run_for)).await;
        // Killed while requests, commits and deliveries are in flight.
        child.kill_9();
        *stop.lock().unwrap() = true;
        for s in senders {
            acked.extend(s.await.unwrap());
        }
    }
    assert!(acked.len() > 50, "the load was real: {} acked", acked.len());

    let _child = start(dir.path(), port).await;
    let stored = stored_texts(&app).await;
    let texts: HashSet<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|t| !texts.contains(t.as_str()))
        .collect();
    assert!(lost.is_empty(), "acked but not stored: {lost:?}");
    let ids: HashSet<String> = stored.iter().map(|(id, _)| id.clone()).collect();
    eventually(
        60,
        "every stored event acknowledged by the helpdesk",
        || async {
            let got = flaky.acked.lock().unwrap().clone();
            ids.is_subset(&got).then_some(())
        },
    )
    .await;
    let acknowledged = flaky.acked.lock().unwrap().clone();
    let deliveries = all_deliveries(&app).await;
    for d in &deliveries {
        if d["status"] == "delivered" {
            let event = d["event_id"].as_str().unwrap();
            assert!(
                acknowledged.contains(event),
                "delivered but never acknowledged: {d}"
            );
        }
    }
}

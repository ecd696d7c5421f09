//! A helpdesk that fails: retries on the schedule, order kept per conversation, dead letters,
//! manual retry and replay, 410 and Retry-After.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::*;

/// Fails the first `failures` attempts of every event whose text contains "FAIL", and records
/// (webhook-id, text, when) of every request.
#[derive(Clone)]
struct Flaky {
    failures: usize,
    seen: Arc<Mutex<HashMap<String, usize>>>,
    log: Arc<Mutex<Vec<(String, String, Instant)>>>,
}

impl Flaky {
    fn new(failures: usize) -> Self {
        Flaky {
            failures,
            seen: Arc::default(),
            log: Arc::default(),
        }
    }
    fn log(&self) -> Vec<(String, String, Instant)> {
        self.log.lock().unwrap().clone()
    }
}

impl Respond for Flaky {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id = req
            .headers
            .get("webhook-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        let text = body["data"]["message"]["content"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.log
            .lock()
            .unwrap()
            .push((id.clone(), text.clone(), Instant::now()));
        let mut seen = self.seen.lock().unwrap();
        let n = seen.entry(id).or_default();
        *n += 1;
        if text.contains("FAIL") && *n <= self.failures {
            ResponseTemplate::new(500)
        } else {
            ResponseTemplate::new(204)
        }
    }
}

async fn flaky_helpdesk(failures: usize) -> (MockServer, Flaky) {
    let server = MockServer::start().await;
    let flaky = Flaky::new(failures);
    Mock::given(method("POST"))
        .respond_with(flaky.clone())
        .mount(&server)
        .await;
    (server, flaky)
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_webhook_id_until_delivered() {
    let app = spawn_app().await;
    let (helpdesk, flaky) = flaky_helpdesk(2).await;
    let (dst, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    post_hook(&url, naver_text("u1", "FAIL twice")).await;
    let got = wait_received(&helpdesk, &secret, 3).await;
    assert_eq!(got.len(), 3);
    let ids: Vec<String> = flaky.log().into_iter().map(|(id, _, _)| id).collect();
    assert!(
        ids.iter().all(|i| i == &ids[0]),
        "the same webhook-id on every attempt: {ids:?}"
    );
    let d = eventually(5, "delivered", || async {
        app.deliveries(&format!("destination={dst}&status=delivered"))
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status_code"], 204);
}

#[tokio::test]
async fn a_failing_conversation_keeps_its_order_and_holds_back_no_other() {
    let app = spawn_app().await;
    let (helpdesk, flaky) = flaky_helpdesk(2).await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    post_hook(&url, naver_text("alice", "a1 FAIL")).await;
    post_hook(&url, naver_text("alice", "a2")).await;
    post_hook(&url, naver_text("bob", "b1")).await;
    wait_received(&helpdesk, &secret, 5).await;
    let log = flaky.log();
    let first = |text: &str| log.iter().position(|(_, t, _)| t == text).unwrap();
    let last = |text: &str| log.iter().rposition(|(_, t, _)| t == text).unwrap();
    assert!(
        first("a2") > last("a1 FAIL"),
        "a2 only after a1 succeeded: {log:?}"
    );
    assert!(
        first("b1") < last("a1 FAIL"),
        "bob is not held back by alice: {log:?}"
    );
    assert_eq!(log.iter().filter(|(_, t, _)| t == "a2").count(), 1);
}

#[tokio::test]
async fn exhausted_deliveries_are_dead_listed_and_can_be_retried() {
    let app = spawn_app().await;
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&helpdesk)
        .await;
    let (dst, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    post_hook(&url, naver_text("u1", "lost?")).await;
    post_hook(&url, naver_text("u1", "next in line")).await;
    let dead = eventually(10, "two dead deliveries", || async {
        let dead = app
            .deliveries(&format!("destination={dst}&status=dead"))
            .await;
        (dead.len() == 2).then_some(dead)
    })
    .await;
    assert_eq!(dead[0]["attempts"], 3, "the schedule has three attempts");
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("retries_exhausted"),
        "{}",
        dead[0]
    );
    assert_eq!(dead[0]["last_status_code"], 500);
    assert_eq!(helpdesk.received_requests().await.unwrap().len(), 6);

    helpdesk.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&helpdesk)
        .await;
    let id = dead[0]["id"].as_str().unwrap();
    let (status, retried) = app
        .post(&format!("/v1/deliveries/{id}/retry"), json!({}))
        .await;
    assert_eq!((status, retried["status"].as_str()), (202, Some("pending")));
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(got[0]["data"]["message"]["content"]["text"], "lost?");
    let (status, d) = app.get(&format!("/v1/deliveries/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(d["status"], "delivered");
    let (status, p) = app.post("/v1/deliveries/dlv_nope/retry", json!({})).await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn replay_sends_a_time_range_again_with_the_original_webhook_ids() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (dst, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(5);
    post_hook(&url, naver_text("u1", "one")).await;
    post_hook(&url, naver_text("u1", "two")).await;
    let first = wait_received(&helpdesk, &secret, 2).await;
    let (status, body) = app
        .post(&format!("/v1/destinations/{dst}/replay"), json!({"since": since.to_rfc3339(), "until": (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339()}))
        .await;
    assert_eq!((status, body["queued"].as_u64()), (202, Some(2)), "{body}");
    let all = wait_received(&helpdesk, &secret, 4).await;
    assert_eq!(all[2]["data"]["event_id"], first[0]["data"]["event_id"]);
    assert_eq!(all[3]["data"]["event_id"], first[1]["data"]["event_id"]);
    let (status, p) = app
        .post(
            &format!("/v1/destinations/{dst}/replay"),
            json!({"since": "yesterday"}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("invalid_time_range"))
    );
}

#[tokio::test]
async fn a_410_disables_the_destination() {
    let app = spawn_app().await;
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&helpdesk)
        .await;
    let (dst, _) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    post_hook(&url, naver_text("u1", "anyone?")).await;
    let d = eventually(5, "disabled", || async {
        let (_, d) = app.get(&format!("/v1/destinations/{dst}")).await;
        (d["enabled"] == false).then_some(d)
    })
    .await;
    assert!(d["disabled_reason"].as_str().unwrap().contains("410"));
    let dead = app
        .deliveries(&format!("destination={dst}&status=dead"))
        .await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        helpdesk.received_requests().await.unwrap().len(),
        1,
        "no retries after 410"
    );
}

#[tokio::test]
async fn retry_after_from_a_429_is_honoured() {
    let app = spawn_app().await;
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&helpdesk)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&helpdesk)
        .await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    let started = Instant::now();
    post_hook(&url, naver_text("u1", "slow down")).await;
    wait_received(&helpdesk, &secret, 2).await;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited the Retry-After second, not the 200 ms schedule"
    );
}

//! Helpdesk faults: destinations that hang, reset, answer slowly, answer 500/429/410, redirect
//! or send a huge body. Each outcome is classified in the delivery's status and last error, a
//! hanging destination does not delay a healthy one, redirects are not followed and a huge
//! answer is not read.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;
use crate::helpers::*;

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn every_destination_fault_is_classified_and_none_holds_back_a_healthy_destination() {
    let app = spawn_with(|s| {
        s.delivery.request_timeout = Duration::from_secs(4);
        // One attempt now, the next far away: each delivery shows its first outcome.
        s.delivery.retry_schedule = vec![Duration::ZERO, Duration::from_secs(300)];
    })
    .await;
    let healthy = answering(ResponseTemplate::new(200)).await;
    let slow = answering(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500))).await;
    let e500 = answering(ResponseTemplate::new(500)).await;
    let e429 = answering(ResponseTemplate::new(429).insert_header("retry-after", "600")).await;
    let gone = answering(ResponseTemplate::new(410)).await;
    let target = answering(ResponseTemplate::new(200)).await;
    let redirect = answering(
        ResponseTemplate::new(302).insert_header("location", format!("{}/moved", target.uri())),
    )
    .await;
    let hang = RawServer::start(|_| Misbehave::Hang).await;
    let reset = RawServer::start(|_| Misbehave::Reset).await;
    let huge = RawServer::start(|_| Misbehave::Huge).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);

    let mut ids = std::collections::HashMap::new();
    let only = json!({"event_types": ["message.received"]});
    for (name, url) in [
        ("hang", hang.url()),
        ("reset", reset.url()),
        ("huge", huge.url()),
        ("closed", closed_url),
        ("slow", slow.uri()),
        ("e500", e500.uri()),
        ("e429", e429.uri()),
        ("gone", gone.uri()),
        ("redirect", redirect.uri()),
        ("healthy", healthy.uri()),
    ] {
        let (id, _) = app.destination(&url, only.clone()).await;
        ids.insert(name, id);
    }
    let (_, hook) = app.approved_naver_channel().await;
    let sent = Instant::now();
    assert_eq!(
        post_hook(&hook, naver_text("u1", "hello")).await.status(),
        200
    );
    eventually(10, "the healthy destination", || async {
        (!healthy.received_requests().await.unwrap().is_empty()).then_some(())
    })
    .await;
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "a hanging destination (4 s timeout) did not delay the healthy one: {:?}",
        sent.elapsed()
    );

    let first_outcome = |name: &'static str| {
        let id = ids[name].clone();
        let app = &app;
        async move {
            eventually(15, &format!("{name}'s first attempt"), || async {
                let d = app.deliveries(&format!("destination={id}")).await;
                d.into_iter()
                    .next()
                    .filter(|d| d["attempts"].as_i64().unwrap_or(0) >= 1)
            })
            .await
        }
    };
    let error = |d: &Value| d["last_error"].as_str().unwrap_or_default().to_string();

    let d = first_outcome("healthy").await;
    assert_eq!(d["status"], "delivered");
    let d = first_outcome("slow").await;
    assert_eq!(d["status"], "delivered", "a slow answer within the timeout");
    let d = first_outcome("huge").await;
    assert_eq!(d["status"], "delivered", "{d}");
    let d = first_outcome("e500").await;
    assert_eq!(
        (d["status"].as_str(), d["last_status_code"].as_i64()),
        (Some("failed"), Some(500))
    );
    assert!(error(&d).starts_with("http_500"), "{d}");
    let d = first_outcome("e429").await;
    assert_eq!(
        (d["status"].as_str(), d["last_status_code"].as_i64()),
        (Some("failed"), Some(429))
    );
    let next =
        chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap()).unwrap();
    assert!(
        next.timestamp() - chrono::Utc::now().timestamp() > 400,
        "Retry-After 600 is honoured: {d}"
    );
    let d = first_outcome("gone").await;
    assert_eq!(
        (d["status"].as_str(), d["last_status_code"].as_i64()),
        (Some("dead"), Some(410))
    );
    let (_, dest) = app.get(&format!("/v1/destinations/{}", ids["gone"])).await;
    assert_eq!(dest["enabled"], false, "410 disables the destination");
    let d = first_outcome("redirect").await;
    assert_eq!(
        (d["status"].as_str(), d["last_status_code"].as_i64()),
        (Some("failed"), Some(302))
    );
    assert!(error(&d).contains("redirects are not followed"), "{d}");
    let d = first_outcome("closed").await;
    assert_eq!(d["status"], "failed");
    assert!(error(&d).starts_with("connect_failed"), "{d}");
    let d = first_outcome("reset").await;
    assert_eq!(d["status"], "failed");
    assert!(
        d["last_status_code"].is_null() && !error(&d).is_empty(),
        "{d}"
    );
    let d = first_outcome("hang").await;
    assert_eq!(d["status"], "failed");
    assert!(error(&d).starts_with("timeout"), "{d}");

    for raw in [&hang, &reset, &huge] {
        assert_eq!(
            raw.requests.load(Ordering::SeqCst),
            1,
            "one attempt each so far"
        );
    }
    assert!(
        target.received_requests().await.unwrap().is_empty(),
        "the redirect target was never called"
    );
    assert!(
        huge.pushed.load(Ordering::SeqCst) < 64 << 20,
        "the huge answer was not read: {} bytes pushed",
        huge.pushed.load(Ordering::SeqCst)
    );
}

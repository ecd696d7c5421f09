//! Provider faults: a send API that hangs, resets, answers 500/429, redirects or sends a huge
//! body. Each reply ends with a classified outcome, a hanging channel does not hold back
//! another one, and a huge answer is read only up to a cap.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};

use super::support::*;
use crate::helpers::*;

/// The fake Naver misbehaves as the reply's text says.
fn naver(body: &str) -> Misbehave {
    let ok = r#"{"success":true,"resultCode":"00"}"#;
    if body.contains("hang") {
        Misbehave::Hang
    } else if body.contains("reset") {
        Misbehave::Reset
    } else if body.contains("huge") {
        Misbehave::Huge
    } else if body.contains("e500") {
        Misbehave::Answer("500 Internal Server Error", "", "oops")
    } else if body.contains("e429") {
        Misbehave::Answer("429 Too Many Requests", "retry-after: 1\r\n", "")
    } else if body.contains("redirect") {
        Misbehave::Answer(
            "302 Found",
            "location: http://127.0.0.1:9/elsewhere\r\n",
            "",
        )
    } else {
        Misbehave::Answer("200 OK", "content-type: application/json\r\n", ok)
    }
}

#[tokio::test]
async fn every_provider_fault_ends_in_a_classified_outcome_and_no_channel_waits_for_another() {
    let fake = RawServer::start(naver).await;
    let base = fake.url();
    let app = spawn_with(move |s| {
        s.providers
            .insert("naver_talktalk".into(), ProviderSettings { api_base: base });
        s.relay.request_timeout = Duration::from_secs(4);
        s.relay.retry_schedule = vec![Duration::ZERO];
    })
    .await;
    // One channel per behaviour: a channel sends one call at a time, channels in parallel.
    let mut conversations = Vec::new();
    for name in [
        "hang", "reset", "huge", "e500", "e429", "redirect", "healthy",
    ] {
        let (channel, hook) = app.approved_naver_channel().await;
        assert_eq!(
            post_hook(&hook, naver_text("u1", "hello")).await.status(),
            200
        );
        let (_, events) = app
            .get(&format!(
                "/v1/events?channel={channel}&type=message.received"
            ))
            .await;
        let conversation = events["items"][0]["data"]["conversation"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        conversations.push((name, conversation));
    }
    let started = Instant::now();
    let mut messages = Vec::new();
    for (name, conversation) in &conversations {
        let (status, m) = app
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                json!({"content": {"type": "text", "text": name}}),
            )
            .await;
        assert_eq!(status, 202, "{m}");
        messages.push((*name, m["id"].as_str().unwrap().to_string()));
    }
    let settled = |id: String| {
        let app = &app;
        async move {
            eventually(20, "the reply to settle", || async {
                let (_, m) = app.get(&format!("/v1/messages/{id}")).await;
                matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
            })
            .await
        }
    };
    let code = |m: &Value| m["error"]["code"].as_str().unwrap_or_default().to_string();
    let mut outcomes = std::collections::HashMap::new();
    // The healthy one first: it must settle while the hanging one still waits.
    messages.sort_by_key(|(name, _)| *name != "healthy");
    for (name, id) in &messages {
        let m = settled(id.clone()).await;
        if *name == "healthy" {
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the healthy channel did not wait for the hanging one: {:?}",
                started.elapsed()
            );
        }
        outcomes.insert(*name, m);
    }
    assert_eq!(outcomes["healthy"]["status"], "delivered");
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        7,
        "one call per reply, none retried"
    );
    for (name, expected) in [
        ("hang", "timeout"),
        ("reset", "connect_failed"),
        ("e500", "http_500"),
        ("e429", "http_429"),
        ("redirect", "http_302"),
        ("huge", "unexpected_response"),
    ] {
        let m = &outcomes[name];
        assert_eq!(m["status"], "failed", "{name}: {m}");
        assert_eq!(code(m), expected, "{name}: {m}");
    }
    assert!(
        fake.pushed.load(Ordering::SeqCst) < 64 << 20,
        "the huge answer was read only up to a cap: {} bytes pushed",
        fake.pushed.load(Ordering::SeqCst)
    );
}

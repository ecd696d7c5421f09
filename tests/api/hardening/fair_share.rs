//! Destinations that hang: each holds at most its share of the delivery workers, so a healthy
//! destination is served at once behind them, and one whose attempts keep timing out is left
//! alone (its circuit breaker open) until a single probe after the cool-down.

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use serde_json::json;

use super::support::*;
use crate::helpers::*;

#[tokio::test]
async fn hanging_destinations_hold_only_their_share_and_a_healthy_one_is_served_at_once() {
    let app = spawn_with(|s| {
        s.delivery.request_timeout = Duration::from_secs(30);
        // Sixteen workers; each destination's default share is an eighth: two.
        s.delivery.concurrency = 16;
    })
    .await;
    let only = json!({"event_types": ["message.received"]});
    let mut hanging = Vec::new();
    for _ in 0..4 {
        let server = RawServer::start(|_| Misbehave::Hang).await;
        app.destination(&server.url(), only.clone()).await;
        hanging.push(server);
    }
    let (_, hook) = app.approved_naver_channel().await;
    // Ten conversations: forty hanging lanes, more than there are workers.
    for n in 0..10 {
        let body = naver_text(&format!("visitor{n}"), "hello");
        assert_eq!(post_hook(&hook, body).await.status(), 200);
    }
    eventually(10, "the hanging destinations to be tried", || async {
        hanging
            .iter()
            .all(|h| h.requests.load(SeqCst) > 0)
            .then_some(())
    })
    .await;

    let healthy = helpdesk_ok().await;
    let (healthy_id, secret) = app.destination(&healthy.uri(), only).await;
    for n in 0..5 {
        let sent = Instant::now();
        let body = naver_text(&format!("visitor{n}"), &format!("again {n}"));
        assert_eq!(post_hook(&hook, body).await.status(), 200);
        eventually(10, "the healthy destination's delivery", || async {
            (healthy.received_requests().await.unwrap_or_default().len() == n + 1).then_some(())
        })
        .await;
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "delivered behind four hanging destinations (30 s timeout) in {:?}",
            sent.elapsed()
        );
    }
    let texts: Vec<_> = received(&healthy, &secret)
        .await
        .iter()
        .map(|p| {
            p["data"]["message"]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts,
        ["again 0", "again 1", "again 2", "again 3", "again 4"]
    );
    let held: Vec<_> = hanging.iter().map(|h| h.requests.load(SeqCst)).collect();
    assert_eq!(
        held,
        [2, 2, 2, 2],
        "each hanging destination holds its share"
    );
    let (_, view) = app.get(&format!("/v1/destinations/{healthy_id}")).await;
    assert_eq!(view["circuit_open"], false, "{view}");
}

#[tokio::test]
async fn a_destination_that_keeps_timing_out_is_left_alone_until_one_probe() {
    let app = spawn_with(|s| {
        s.delivery.request_timeout = Duration::from_secs(1);
        s.delivery.per_destination_concurrency = Some(1);
        s.delivery.breaker_failures = 2;
        s.delivery.breaker_cooldown = Duration::from_secs(3);
    })
    .await;
    let hang = RawServer::start(|_| Misbehave::Hang).await;
    let (id, _) = app
        .destination(&hang.url(), json!({"event_types": ["message.received"]}))
        .await;
    let (_, hook) = app.approved_naver_channel().await;
    for n in 0..3 {
        let body = naver_text(&format!("visitor{n}"), "hello");
        assert_eq!(post_hook(&hook, body).await.status(), 200);
    }
    eventually(10, "two attempts", || async {
        (hang.requests.load(SeqCst) == 2).then_some(())
    })
    .await;
    let second = Instant::now();
    eventually(15, "the probe", || async {
        (hang.requests.load(SeqCst) == 3).then_some(())
    })
    .await;
    assert!(
        second.elapsed() >= Duration::from_secs(3),
        "nothing is sent during the cool-down: the probe came {:?} after the second timeout's attempt",
        second.elapsed()
    );
    let deliveries = app.deliveries(&format!("destination={id}")).await;
    let attempts: i64 = deliveries
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(attempts, 2, "waiting spends no attempts: {deliveries:?}");
    assert!(
        deliveries.iter().all(|d| d["status"] != "dead"),
        "{deliveries:?}"
    );
    let (status, view) = app.get(&format!("/v1/destinations/{id}")).await;
    assert_eq!(
        (status, &view["circuit_open"]),
        (200, &json!(true)),
        "{view}"
    );
}

//! What an operator watches: Prometheus metrics after real traffic, request ids carried from a
//! webhook to its deliveries and from a reply to the provider, and logs that keep secrets and
//! bodies out.

use std::collections::HashMap;

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

/// The value of every sample of `name` whose labels include `labels`, summed; `None` when no
/// sample matches.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, label_text) = match series.split_once('{') {
            Some((m, rest)) => (m, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric != name {
            continue;
        }
        let have: HashMap<&str, &str> = label_text
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k, v.trim_matches('"')))
            .collect();
        if labels.iter().all(|(k, v)| have.get(k) == Some(v)) {
            *found.get_or_insert(0.0) += value.parse::<f64>().unwrap();
        }
    }
    found
}

async fn scrape(app: &TestApp) -> String {
    let resp = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    resp.text().await.unwrap()
}

const NAVER_OK: &str = r#"{"success":true,"resultCode":"00"}"#;

#[tokio::test]
async fn metrics_count_webhooks_deliveries_dead_letters_and_relay_calls_by_label() {
    let naver_api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(NAVER_OK))
        .mount(&naver_api)
        .await;
    // A gateway process of its own: its metrics recorder counts this test's traffic and nothing
    // else, so every count below is exact.
    let gw = GatewayProcess::builder()
        .env("OMNIGATE__SERVER__MAX_BODY_BYTES", "4096")
        .env(
            "OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE",
            naver_api.uri(),
        )
        .retries("0s,200ms,200ms")
        .env("OMNIGATE__DELIVERY__REQUEST_TIMEOUT", "2s")
        .spawn()
        .await;
    let app = gw.app();
    let ok = helpdesk_ok().await;
    let busy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&busy)
        .await;
    let (channel, hook) = app.approved_naver_channel().await;
    let (ok_id, _) = app
        .destination(&ok.uri(), json!({"channels": [channel]}))
        .await;
    let (busy_id, _) = app
        .destination(
            &busy.uri(),
            json!({"channels": [channel],
                   "event_types": ["message.received", "provider.unrecognized"]}),
        )
        .await;

    let with_id = naver(
        "send",
        "u1",
        json!({"messageId": 7, "textContent": {"text": "hello"}}),
    );
    assert_eq!(post_hook(&hook, with_id.clone()).await.status(), 200);
    assert_eq!(post_hook(&hook, with_id).await.status(), 200, "duplicate");
    assert_eq!(post_hook(&hook, "{not json").await.status(), 200);
    assert_eq!(post_hook(&hook, "x".repeat(5000)).await.status(), 413);
    let unknown = hook.rsplit_once('/').unwrap().0.to_string() + "/no-such-key";
    assert_eq!(post_hook(&unknown, "{}").await.status(), 404);

    // Two stored events per destination: the text and the unrecognized body. The busy one
    // answers 429 to all three attempts, so both of its deliveries end dead.
    eventually(
        15,
        "the busy destination's deliveries to be dead",
        || async {
            let dead = app
                .deliveries(&format!("destination={busy_id}&status=dead"))
                .await;
            (dead.len() == 2).then_some(())
        },
    )
    .await;
    eventually(15, "the ok destination's deliveries", || async {
        let done = app
            .deliveries(&format!("destination={ok_id}&status=delivered"))
            .await;
        (done.len() == 2).then_some(())
    })
    .await;
    let (_, events) = app
        .get(&format!(
            "/v1/events?channel={channel}&type=message.received"
        ))
        .await;
    let conversation = events["items"][0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, reply) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": "hi"}}),
        )
        .await;
    assert_eq!(status, 202, "{reply}");
    let message = reply["id"].as_str().unwrap().to_string();
    eventually(10, "the reply to be delivered", || async {
        let (_, m) = app.get(&format!("/v1/messages/{message}")).await;
        (m["status"] == "delivered").then_some(())
    })
    .await;

    eventually(10, "the reply's outcome at the ok destination", || async {
        let done = app
            .deliveries(&format!("destination={ok_id}&status=delivered"))
            .await;
        (done.len() == 3).then_some(())
    })
    .await;

    let text = scrape(&app).await;
    let webhooks = |outcome: &str| {
        sample(
            &text,
            "omnigate_webhooks_received_total",
            &[("provider", "naver_talktalk"), ("outcome", outcome)],
        )
        .unwrap_or(0.0)
    };
    for outcome in ["accepted", "duplicate", "unrecognized", "too_large"] {
        assert_eq!(webhooks(outcome), 1.0, "{outcome}:\n{text}");
    }
    let exact = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    assert_eq!(
        exact(
            "omnigate_webhooks_received_total",
            &[("outcome", "unknown_key")]
        ),
        Some(1.0),
        "{text}"
    );
    // Timed: the accepted, the duplicate and the unrecognized body (refusals are not).
    assert_eq!(
        exact(
            "omnigate_ingest_duration_seconds_count",
            &[("provider", "naver_talktalk")]
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        exact(
            "omnigate_events_stored_total",
            &[("provider", "naver_talktalk")]
        ),
        Some(2.0),
        "{text}"
    );
    let deliveries = |outcome: &str| {
        exact(
            "omnigate_deliveries_total",
            &[("kind", "webhook"), ("outcome", outcome)],
        )
    };
    // The text, the unrecognized body and the relay's `message.delivered` to the first; four
    // retried and two dead attempts at the busy one.
    assert_eq!(deliveries("delivered"), Some(3.0), "{text}");
    assert_eq!(deliveries("failed"), Some(4.0), "{text}");
    assert_eq!(deliveries("dead"), Some(2.0), "{text}");
    assert_eq!(
        exact(
            "omnigate_delivery_duration_seconds_count",
            &[("kind", "webhook")]
        ),
        Some(9.0),
        "{text}"
    );
    assert_eq!(
        exact(
            "omnigate_rate_limit_rejections_total",
            &[("by", "destination"), ("name", "webhook")]
        ),
        Some(6.0),
        "{text}"
    );
    // `/metrics` may be open: it never names a destination or a channel.
    for id in [&ok_id, &busy_id, &channel] {
        assert!(!text.contains(id.as_str()), "{id} in the metrics:\n{text}");
    }
    assert_eq!(exact("omnigate_deliveries_dead", &[]), Some(2.0), "{text}");
    assert!(exact("omnigate_deliveries_queued", &[]).is_some());
    assert!(exact("omnigate_replies_queued", &[]).is_some());
    assert_eq!(
        exact(
            "omnigate_relay_calls_total",
            &[("provider", "naver_talktalk"), ("outcome", "ok")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        exact(
            "omnigate_relay_call_duration_seconds_count",
            &[("provider", "naver_talktalk")]
        ),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_ask_for_the_configured_token() {
    let gw = GatewayProcess::builder()
        .env("OMNIGATE__SERVER__METRICS_TOKEN", "scrape-4f9c2a7e1b3d")
        .spawn()
        .await;
    let url = format!("{}/metrics", gw.app().base);
    let client = reqwest::Client::new();
    for presented in [None, Some("scrape-wrong"), Some("")] {
        let mut req = client.get(&url);
        if let Some(token) = presented {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{presented:?}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["code"], "unauthorized");
    }
    let resp = client
        .get(&url)
        .bearer_auth("scrape-4f9c2a7e1b3d")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("omnigate_deliveries_queued"));
}

#[tokio::test]
async fn a_request_id_is_echoed_and_carried_to_deliveries_and_provider_calls() {
    let naver_api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(NAVER_OK))
        .mount(&naver_api)
        .await;
    let naver_base = naver_api.uri();
    let app = spawn_with(move |s| {
        s.providers.insert(
            "naver_talktalk".into(),
            ProviderSettings {
                api_base: naver_base,
            },
        );
    })
    .await;
    let helpdesk = helpdesk_ok().await;
    let (channel, hook) = app.approved_naver_channel().await;
    app.destination(
        &helpdesk.uri(),
        json!({"channels": [channel], "event_types": ["message.received"]}),
    )
    .await;

    // Without one, the gateway makes one up; a caller's own id comes back as it was.
    let plain = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    let made = plain.headers()["x-request-id"].to_str().unwrap();
    assert!(made.starts_with("req_"), "{made}");
    let junk = app
        .http
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "has spaces in it")
        .send()
        .await
        .unwrap();
    assert_ne!(junk.headers()["x-request-id"], "has spaces in it");

    let resp = reqwest::Client::new()
        .post(&hook)
        .header("content-type", "application/json")
        .header("x-request-id", "naver-req-0001")
        .body(naver_text("u1", "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], "naver-req-0001");
    eventually(10, "the delivery", || async {
        let reqs = helpdesk.received_requests().await.unwrap_or_default();
        reqs.first().map(|r| {
            assert_eq!(r.headers["x-request-id"], "naver-req-0001");
        })
    })
    .await;

    let (_, events) = app
        .get(&format!(
            "/v1/events?channel={channel}&type=message.received"
        ))
        .await;
    let conversation = events["items"][0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = app
        .http
        .post(format!(
            "{}/v1/conversations/{conversation}/messages",
            app.base
        ))
        .bearer_auth(TOKEN)
        .header("x-request-id", "helpdesk-req-42")
        .json(&json!({"content": {"type": "text", "text": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);
    assert_eq!(sent.headers()["x-request-id"], "helpdesk-req-42");
    eventually(10, "the provider call", || async {
        let reqs = naver_api.received_requests().await.unwrap_or_default();
        reqs.first().map(|r| {
            assert_eq!(r.headers["x-request-id"], "helpdesk-req-42");
        })
    })
    .await;

    // Problems carry it too, so a refused call can be found in the logs.
    let refused = app
        .http
        .get(format!("{}/v1/channels", app.base))
        .header("x-request-id", "op-7")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["x-request-id"], "op-7");
}

#[tokio::test]
async fn info_logs_carry_request_ids_but_never_secrets_or_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let gw = GatewayProcess::builder()
        .data(&dir.path().join("data"))
        .env("OMNIGATE__LOG__FORMAT", "json")
        .env("OMNIGATE__LOG__LEVEL", "info")
        .logs_to(&log_path)
        .spawn()
        .await;
    let app = gw.app();

    let created = app
        .http
        .post(format!("{}/v1/channels", app.base))
        .bearer_auth(TOKEN)
        .header("x-request-id", "op-create-channel")
        .json(&json!({"provider": "naver_talktalk", "name": "Shop",
                      "credentials": {"account_id": "wc8b1i", "send_api_key": SEND_API_KEY}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    app.post(&format!("/v1/channels/{id}/approve"), json!({}))
        .await;
    let hook = pending["webhook_url"].as_str().unwrap().to_string();
    let key = hook.rsplit('/').next().unwrap().to_string();
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app.destination(&helpdesk.uri(), json!({})).await;
    let body = naver_text("u1", "the-visitor-said-something-private");
    assert_eq!(post_hook(&hook, body).await.status(), 200);
    assert_eq!(post_hook(&hook, "{broken body marker").await.status(), 200);
    wait_received(&helpdesk, &secret, 2).await;
    assert!(gw.terminate().await.success(), "a graceful stop");

    let logs = std::fs::read_to_string(&log_path).unwrap();
    for line in logs.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(
        logs.contains("op-create-channel"),
        "the request id is logged:\n{logs}"
    );
    for secret_or_body in [
        SEND_API_KEY,
        TOKEN,
        &key,
        &secret,
        "the-visitor-said-something-private",
        "broken body marker",
    ] {
        assert!(
            !logs.contains(secret_or_body),
            "{secret_or_body} leaked into the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn logs_written_to_a_file_carry_no_terminal_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let gw = GatewayProcess::builder()
        .data(&dir.path().join("data"))
        .env("OMNIGATE__LOG__FORMAT", "text")
        .env("OMNIGATE__LOG__LEVEL", "info")
        .logs_to(&log_path)
        .spawn()
        .await;
    let (status, _) = gw.app().get("/v1/channels/chn_missing").await;
    assert_eq!(status, 404);
    assert!(gw.terminate().await.success(), "a graceful stop");
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("INFO"), "the gateway logged:\n{logs}");
    assert!(
        !logs.contains("\x1b["),
        "terminal colour codes in a log file:\n{logs:?}"
    );
}

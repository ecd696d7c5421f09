//! Chatwoot through the running gateway: signed webhooks in (wrong, missing, stale and
//! repeated ones refused or stored once), normalized events out to the helpdesk, and replies
//! sent to the channel's own Chatwoot (a local fake).

use std::time::Duration;

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const SECRET: &str = "cw-webhook-secret-5b1d";
const TOKEN_VALUE: &str = "cw-agent-token-9f2e";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Chatwoot channel taken through approval; returns (channel id, webhook URL).
async fn approved_channel(app: &TestApp, base_url: &str, settings: Value) -> (String, String) {
    let ch = app
        .approved_channel(
            "chatwoot",
            json!({"base_url": base_url, "account_id": 7,
                   "api_access_token": TOKEN_VALUE, "webhook_secret": SECRET}),
            settings,
        )
        .await;
    assert_ne!(
        ch.created["credentials"]["api_access_token"], TOKEN_VALUE,
        "masked"
    );
    assert_ne!(
        ch.created["credentials"]["webhook_secret"], SECRET,
        "masked"
    );
    let url = ch.url();
    (ch.id, url)
}

/// POSTs `body` as Chatwoot does, signed with `secret` at `ts`, as delivery `delivery`.
async fn post_signed(
    url: &str,
    body: &[u8],
    secret: &str,
    ts: i64,
    delivery: &str,
) -> reqwest::Response {
    let ts = ts.to_string();
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-chatwoot-signature",
            omnigate_chatwoot::signature(secret, &ts, body),
        )
        .header("x-chatwoot-timestamp", ts)
        .header("x-chatwoot-delivery", delivery)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn refused(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_signed_chatwoot_message_reaches_the_helpdesk_as_the_visitors_message_and_replies_as_echoes(
) {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received", "message.echo"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app, "https://chat.northwind.example", json!({})).await;
    let incoming = fixture("chatwoot", "message-incoming.json");
    let resp = post_signed(&hook, &incoming, SECRET, now(), "d-1").await;
    assert_eq!(resp.status(), 200);
    let outgoing = fixture("chatwoot", "message-outgoing.json");
    let resp = post_signed(&hook, &outgoing, SECRET, now(), "d-2").await;
    assert_eq!(resp.status(), 200);

    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.received", "message.echo"]);
    let visitor = &got[0]["data"];
    assert_eq!(visitor["channel"]["provider"], "chatwoot");
    assert_eq!(visitor["conversation"]["provider_ref"], "42");
    assert_eq!(visitor["contact"]["email"], "mina.park@example.com");
    assert_eq!(visitor["message"]["direction"], "inbound");
    assert_eq!(
        visitor["message"]["content"],
        json!({"type": "text", "text": "Hi, my parcel has not arrived yet"})
    );
    assert_eq!(visitor["provider_event"]["id"], "d-1");
    let echo = &got[1]["data"];
    assert_eq!(echo["conversation"]["id"], visitor["conversation"]["id"]);
    assert_eq!(echo["message"]["direction"], "outbound");
    assert_eq!(echo["message"]["origin"], "provider");
}

#[tokio::test]
async fn wrong_and_missing_signatures_are_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app, "https://chat.northwind.example", json!({})).await;
    let body = fixture("chatwoot", "message-incoming.json");

    let wrong = post_signed(&hook, &body, "not-the-secret", now(), "d-1").await;
    assert_eq!(refused(wrong).await, (401, "signature_invalid".into()));

    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));

    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn stale_or_future_timestamps_are_refused_within_a_window_the_channel_can_widen() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app, "https://chat.northwind.example", json!({})).await;
    let body = fixture("chatwoot", "message-incoming.json");
    let old = post_signed(&hook, &body, SECRET, now() - 600, "d-old").await;
    assert_eq!(refused(old).await, (401, "timestamp_out_of_window".into()));
    let future = post_signed(&hook, &body, SECRET, now() + 600, "d-future").await;
    assert_eq!(
        refused(future).await,
        (401, "timestamp_out_of_window".into())
    );
    assert!(events_of(&app, &id, "").await.is_empty());

    let (wide, wide_hook) = approved_channel(
        &app,
        "https://chat.northwind.example",
        json!({"signature_tolerance_seconds": 3600}),
    )
    .await;
    let resp = post_signed(&wide_hook, &body, SECRET, now() - 600, "d-old").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(events_of(&app, &wide, "").await.len(), 1);
}

#[tokio::test]
async fn a_redelivered_webhook_is_stored_once_but_the_same_text_in_a_new_delivery_is_kept() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app, "https://chat.northwind.example", json!({})).await;
    let body = fixture("chatwoot", "message-incoming.json");
    // Chatwoot refreshes the timestamp on a retry and keeps the delivery id.
    for ts in [now() - 5, now()] {
        let resp = post_signed(&hook, &body, SECRET, ts, "d-retried").await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(events_of(&app, &id, "").await.len(), 1, "stored once");
    let resp = post_signed(&hook, &body, SECRET, now(), "d-another").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        events_of(&app, &id, "").await.len(),
        2,
        "never de-duplicated by content"
    );
}

/// The omnigate id of the first conversation stored for `channel`.
async fn conversation_of(app: &TestApp, channel: &str) -> String {
    events_of(app, channel, "").await[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The reply's final state, once the relay has settled it.
async fn settled(app: &TestApp, id: &str) -> Value {
    eventually(15, "the reply to settle", || async {
        let (_, m) = app.get(&format!("/v1/messages/{id}")).await;
        matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
    })
    .await
}

#[tokio::test]
async fn a_reply_goes_to_the_channels_own_chatwoot_with_its_token_and_comes_back_as_omnigates_echo()
{
    let chatwoot = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 5030})))
        .mount(&chatwoot)
        .await;
    let cloud = MockServer::start().await;
    let cloud_base = cloud.uri();
    let app = spawn_with(move |s| {
        s.providers.insert(
            "chatwoot".into(),
            ProviderSettings {
                api_base: cloud_base,
            },
        );
    })
    .await;
    let (channel, hook) = approved_channel(&app, &chatwoot.uri(), json!({})).await;
    let body = fixture("chatwoot", "message-incoming.json");
    assert_eq!(
        post_signed(&hook, &body, SECRET, now(), "d-1")
            .await
            .status(),
        200
    );
    let conversation = conversation_of(&app, &channel).await;

    let (status, m) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": "It is out for delivery today."}}),
        )
        .await;
    assert_eq!(status, 202, "{m}");
    let message_id = m["id"].as_str().unwrap().to_string();
    assert_eq!(settled(&app, &message_id).await["status"], "delivered");

    let reqs = chatwoot.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].url.path(),
        "/api/v1/accounts/7/conversations/42/messages"
    );
    assert_eq!(
        reqs[0].headers.get("api_access_token").unwrap(),
        TOKEN_VALUE
    );
    let sent: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"content": "It is out for delivery today.", "message_type": "outgoing",
               "private": false, "content_type": "text"})
    );
    assert!(
        cloud.received_requests().await.unwrap().is_empty(),
        "the channel's base_url wins over the configured API base"
    );

    // Chatwoot then reports the reply as an outgoing message of its own.
    let echo = json!({"event": "message_created", "id": 5030, "message_type": "outgoing",
                      "private": false, "content": "It is out for delivery today.",
                      "content_type": "text", "conversation": {"id": 42},
                      "sender": {"id": 1, "name": "omnigate bot", "type": "user"}})
    .to_string();
    assert_eq!(
        post_signed(&hook, echo.as_bytes(), SECRET, now(), "d-echo")
            .await
            .status(),
        200
    );
    let echoes = events_of(&app, &channel, "&type=message.echo").await;
    assert_eq!(echoes.len(), 1);
    assert_eq!(echoes[0]["data"]["message"]["origin"], "omnigate");
    assert_eq!(echoes[0]["data"]["message"]["relayed_message_id"], m["id"]);
    assert_eq!(
        events_of(&app, &channel, "&type=message.received")
            .await
            .len(),
        1,
        "the helpdesk's own reply is never a visitor message"
    );
}

#[tokio::test]
async fn a_reply_chatwoot_refuses_is_reported_failed_with_its_status_and_never_retried() {
    let chatwoot = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": "Invalid Access Token"})),
        )
        .mount(&chatwoot)
        .await;
    let app = spawn_with(|s| {
        s.relay.retry_schedule = vec![Duration::ZERO, Duration::from_millis(100)];
    })
    .await;
    let (channel, hook) = approved_channel(&app, &chatwoot.uri(), json!({})).await;
    let body = fixture("chatwoot", "message-incoming.json");
    assert_eq!(
        post_signed(&hook, &body, SECRET, now(), "d-1")
            .await
            .status(),
        200
    );
    let conversation = conversation_of(&app, &channel).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let (status, p) = app
        .post(
            &path,
            json!({"content": {"type": "image", "url": "https://x.test/a.png"}}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("content_type_not_supported"))
    );
    let (_, m) = app
        .post(&path, json!({"content": {"type": "text", "text": "hello"}}))
        .await;
    let done = settled(&app, m["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "http_401");
    // `failed` is final: a retry would have left the reply queued with its next attempt due.
    assert_eq!(done["attempts"], 1, "{done}");
    assert!(done["next_attempt_at"].is_null(), "{done}");
    assert_eq!(chatwoot.received_requests().await.unwrap().len(), 1);
}

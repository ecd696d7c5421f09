//! Zendesk Sunshine Conversations through the running gateway: `X-API-Key` checked before
//! anything is stored, a batch of events delivered as separate events in order, retries stored
//! once, business messages kept apart from the visitor's, and replies sent to a local fake of
//! the Sunshine API.

use std::time::Duration;

use base64::Engine;
use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const APP: &str = "6a1f0c2b9d4e8a7b3c5d1e2f";
const KEY_ID: &str = "app_6a1f0c2b9d4e8a7b3c5d1e99";
const KEY_SECRET: &str = "sunco-key-secret-0123";
const WEBHOOK_SECRET: &str = "sunco-webhook-secret-4567";
const CONVERSATION: &str = "c0ffee0123456789abcdef01";

/// A Sunshine channel taken through approval; returns (channel id, webhook URL).
async fn approved_channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "zendesk_sunshine",
            json!({"app_id": APP, "key_id": KEY_ID, "key_secret": KEY_SECRET,
                   "webhook_secret": WEBHOOK_SECRET}),
            Value::Null,
        )
        .await;
    assert_ne!(
        ch.created["credentials"]["key_secret"], KEY_SECRET,
        "secrets are masked"
    );
    assert_ne!(ch.created["credentials"]["webhook_secret"], WEBHOOK_SECRET);
    let url = ch.url();
    (ch.id, url)
}

/// POSTs a body as Sunshine would, with `X-API-Key` when given.
async fn post_sunshine(url: &str, body: Vec<u8>, api_key: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = api_key {
        req = req.header("x-api-key", key);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_batch_with_the_right_secret_reaches_the_helpdesk_as_one_event_per_element_in_order() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["conversation.opened", "message.received", "message.echo"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app).await;
    let resp = post_sunshine(
        &hook,
        fixture("zendesk_sunshine", "batch-opened-then-messages.json"),
        Some(WEBHOOK_SECRET),
    )
    .await;
    assert_eq!(resp.status(), 200);

    let got = wait_received(&helpdesk, &secret, 3).await;
    assert_eq!(
        types(&got),
        ["conversation.opened", "message.received", "message.echo"],
        "the batch's order is kept"
    );
    let conversation = &got[0]["data"]["conversation"];
    assert_eq!(conversation["provider_ref"], "c0ffee0123456789abcdef02");
    assert!(got
        .iter()
        .all(|p| p["data"]["conversation"] == *conversation));
    assert_eq!(got[0]["data"]["channel"]["provider"], "zendesk_sunshine");
    assert_eq!(
        got[0]["data"]["contact"]["provider_ref"],
        "5e7a1b2c3d4e5f6a7b8c9d02"
    );

    let visitor = &got[1]["data"];
    assert_eq!(
        visitor["message"]["content"],
        json!({"type": "text", "text": "Hello, I need to change my delivery address."})
    );
    assert_eq!(visitor["message"]["direction"], "inbound");
    assert_eq!(visitor["provider_event"]["id"], "6b20a1c3d5e7f90112233412");

    let agent = &got[2]["data"];
    assert_eq!(agent["message"]["direction"], "outbound");
    assert_eq!(agent["message"]["origin"], "provider");
    assert_eq!(
        agent["message"]["content"]["text"],
        "Sure, what is the new address?"
    );
    assert_eq!(
        agent["provider_event"]["detail"]["author"]["displayName"],
        "Jordan from Support"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_x_api_key_is_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    for (key, code) in [
        (Some("sunco-webhook-secret-4568"), "signature_invalid"),
        (Some(""), "signature_invalid"),
        (None, "signature_missing"),
    ] {
        let resp = post_sunshine(
            &hook,
            fixture("zendesk_sunshine", "message-user-text.json"),
            key,
        )
        .await;
        assert_eq!(resp.status(), 401, "{key:?}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["code"], code, "{key:?}");
    }
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_redelivered_batch_is_stored_once_and_business_messages_are_never_received() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    for _ in 0..2 {
        let resp = post_sunshine(
            &hook,
            fixture("zendesk_sunshine", "batch-opened-then-messages.json"),
            Some(WEBHOOK_SECRET),
        )
        .await;
        assert_eq!(resp.status(), 200, "a retry is acked too");
    }
    let resp = post_sunshine(
        &hook,
        fixture("zendesk_sunshine", "message-business-bot.json"),
        Some(WEBHOOK_SECRET),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let events = events_of(&app, &id, "").await;
    assert_eq!(
        types(&events),
        [
            "conversation.opened",
            "message.received",
            "message.echo",
            "message.echo"
        ],
        "each Sunshine event stored once"
    );
    let received = events_of(&app, &id, "&type=message.received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0]["data"]["contact"]["provider_ref"],
        "5e7a1b2c3d4e5f6a7b8c9d02"
    );
}

/// A gateway whose Sunshine API is a fake answering `answer`, with one approved channel and one
/// conversation (the visitor asked about their order); returns (app, fake, channel, hook,
/// conversation id).
async fn with_fake_sunshine(
    answer: ResponseTemplate,
) -> (TestApp, MockServer, String, String, String) {
    let sunshine = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&sunshine)
        .await;
    let base = sunshine.uri();
    let app = spawn_with(move |s| {
        s.providers.insert(
            "zendesk_sunshine".into(),
            ProviderSettings { api_base: base },
        );
        s.relay.retry_schedule = vec![Duration::ZERO, Duration::from_millis(100)];
    })
    .await;
    let (id, hook) = approved_channel(&app).await;
    post_sunshine(
        &hook,
        fixture("zendesk_sunshine", "message-user-text.json"),
        Some(WEBHOOK_SECRET),
    )
    .await;
    let events = events_of(&app, &id, "&type=message.received").await;
    let conversation = events[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (app, sunshine, id, hook, conversation)
}

/// Relays a text reply and waits until it is delivered or failed; returns the message.
async fn reply_settled(app: &TestApp, conversation: &str, text: &str) -> Value {
    let (status, m) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": text}}),
        )
        .await;
    assert_eq!(status, 202, "{m}");
    let message_id = m["id"].as_str().unwrap().to_string();
    eventually(15, "the reply to settle", || async {
        let (_, m) = app.get(&format!("/v1/messages/{message_id}")).await;
        matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
    })
    .await
}

#[tokio::test]
async fn a_reply_is_posted_to_the_sunshine_api_as_the_business_and_its_echo_is_recognized() {
    let answer = ResponseTemplate::new(201).set_body_string(r#"{"messages":[{"id":"m1"}]}"#);
    let (app, sunshine, id, hook, conversation) = with_fake_sunshine(answer).await;
    let text = "It left our warehouse this morning.";
    let done = reply_settled(&app, &conversation, text).await;
    assert_eq!(done["status"], "delivered", "{done}");

    let reqs = sunshine.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].url.path(),
        format!("/v2/apps/{APP}/conversations/{CONVERSATION}/messages")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}"));
    let auth = reqs[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(auth, format!("Basic {basic}"));
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        body,
        json!({"author": {"type": "business"}, "content": {"type": "text", "text": text}})
    );

    // Sunshine then reports the business message back; the gateway knows it as its own.
    let echo = String::from_utf8(fixture("zendesk_sunshine", "message-business-bot.json"))
        .unwrap()
        .replace("6b20a1c3d5e7f90112233451", "6b20a1c3d5e7f90112233459")
        .replace("I can help with that. Is it about an order?", text);
    post_sunshine(&hook, echo.into_bytes(), Some(WEBHOOK_SECRET)).await;
    let echoes = events_of(&app, &id, "&type=message.echo").await;
    assert_eq!(echoes.len(), 1);
    assert_eq!(echoes[0]["data"]["message"]["origin"], "omnigate");
    assert_eq!(
        echoes[0]["data"]["message"]["relayed_message_id"],
        done["id"]
    );
}

#[tokio::test]
async fn a_refused_reply_fails_with_the_http_status_and_sunshine_s_error_title() {
    let answer = ResponseTemplate::new(401).set_body_string(
        r#"{"errors":[{"code":"unauthorized","title":"Authorization is required"}]}"#,
    );
    let (app, sunshine, _, _, conversation) = with_fake_sunshine(answer).await;
    let failed = reply_settled(&app, &conversation, "hello").await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "http_401");
    assert_eq!(
        failed["error"]["message"],
        "unauthorized: Authorization is required"
    );
    assert_eq!(
        sunshine.received_requests().await.unwrap().len(),
        1,
        "a 401 is not retried"
    );
}

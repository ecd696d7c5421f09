//! Crisp through the running gateway: signed plugin hooks and unsigned website hooks in,
//! visitor messages and operator echoes out to the helpdesk, retries stored once, and replies
//! sent through Crisp's REST API (a local fake).

use base64::Engine;
use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const WEBSITE: &str = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
const SESSION: &str = "session_0f9e7b52-3c1a-4d8e-b6f2-91a4c7e5d203";
const SIGNING_SECRET: &str = "crisp-plugin-signing-secret-71c2";
const IDENTIFIER: &str = "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b";
const KEY: &str = "crisp-plugin-key-0a1b2c3d";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A Crisp channel taken through approval, for plugin hooks (`signed`) or website hooks;
/// returns (channel id, webhook URL).
async fn approved_channel(app: &TestApp, signed: bool, settings: Value) -> (String, String) {
    let mut credentials = json!({"website_id": WEBSITE, "identifier": IDENTIFIER, "key": KEY});
    if signed {
        credentials["signing_secret"] = json!(SIGNING_SECRET);
    }
    let ch = app.approved_channel("crisp", credentials, settings).await;
    assert_ne!(ch.created["credentials"]["key"], KEY, "masked");
    let url = ch.url();
    (ch.id, url)
}

/// POSTs `body` as a Crisp plugin hook, signed with `secret` at `ts` (milliseconds).
async fn post_signed(url: &str, body: &[u8], secret: &str, ts: i64) -> reqwest::Response {
    let ts = ts.to_string();
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-crisp-signature",
            omnigate_crisp::signature(secret, &ts, body),
        )
        .header("x-crisp-request-timestamp", ts)
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
async fn a_signed_plugin_hook_reaches_the_helpdesk_and_operator_messages_are_echoes() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received", "message.echo", "conversation.opened"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app, true, json!({})).await;
    for name in [
        "session-request-initiated.json",
        "message-send-text.json",
        "message-received-text.json",
    ] {
        let resp = post_signed(&hook, &fixture("crisp", name), SIGNING_SECRET, now_ms()).await;
        assert_eq!(resp.status(), 200, "{name}");
    }
    let got = wait_received(&helpdesk, &secret, 3).await;
    assert_eq!(
        types(&got),
        ["conversation.opened", "message.received", "message.echo"]
    );
    let visitor = &got[1]["data"];
    assert_eq!(visitor["channel"]["provider"], "crisp");
    assert_eq!(visitor["conversation"]["provider_ref"], SESSION);
    assert_eq!(visitor["contact"]["name"], "Lucas Moreau");
    assert_eq!(
        visitor["message"]["content"],
        json!({"type": "text", "text": "Bonjour, is the blue jacket back in stock?"})
    );
    let echo = &got[2]["data"];
    assert_eq!(echo["conversation"]["id"], visitor["conversation"]["id"]);
    assert_eq!(echo["message"]["origin"], "provider");
}

#[tokio::test]
async fn wrong_missing_and_stale_signatures_are_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) =
        approved_channel(&app, true, json!({"signature_tolerance_seconds": 300})).await;
    let body = fixture("crisp", "message-send-text.json");
    let wrong = post_signed(&hook, &body, "not-the-secret", now_ms()).await;
    assert_eq!(refused(wrong).await, (401, "signature_invalid".into()));
    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));
    let stale = post_signed(&hook, &body, SIGNING_SECRET, now_ms() - 900_000).await;
    assert_eq!(
        refused(stale).await,
        (401, "timestamp_out_of_window".into())
    );
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
    let fresh = post_signed(&hook, &body, SIGNING_SECRET, now_ms()).await;
    assert_eq!(fresh.status(), 200);
}

#[tokio::test]
async fn a_website_hook_channel_takes_unsigned_hooks_on_its_secret_url() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app, false, json!({})).await;
    let resp = post_hook(&hook, fixture("crisp", "message-send-text.json")).await;
    assert_eq!(resp.status(), 200);
    let events = events_of(&app, &id, "").await;
    assert_eq!(types(&events), ["message.received"]);
    let wrong_key = hook.replace("/hooks/", "/hooks/x");
    assert_eq!(
        post_hook(&wrong_key, fixture("crisp", "message-send-text.json"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_retried_message_is_stored_once_by_its_fingerprint_never_by_its_text() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app, true, json!({})).await;
    let body = fixture("crisp", "message-send-text.json");
    for _ in 0..2 {
        let resp = post_signed(&hook, &body, SIGNING_SECRET, now_ms()).await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(events_of(&app, &id, "").await.len(), 1, "stored once");
    let again = String::from_utf8(body)
        .unwrap()
        .replace("179517000123456", "179517000199999");
    let resp = post_signed(&hook, again.as_bytes(), SIGNING_SECRET, now_ms()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        events_of(&app, &id, "").await.len(),
        2,
        "the same text with a new fingerprint is a new message"
    );
}

#[tokio::test]
async fn without_a_window_a_replayed_day_old_hook_is_acked_but_forwarded_once_by_its_fingerprint() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (id, hook) = approved_channel(&app, true, json!({})).await;
    // A genuine hook signed a day ago, captured and sent again verbatim.
    let body = fixture("crisp", "message-send-text.json");
    let day_old = now_ms() - 86_400_000;
    for attempt in ["original", "replay"] {
        let resp = post_signed(&hook, &body, SIGNING_SECRET, day_old).await;
        assert_eq!(
            resp.status(),
            200,
            "the {attempt} is acked: no window is set"
        );
    }
    // A later message of the same conversation: delivery is in order, so once it arrives a
    // stored replay would have arrived before it.
    let later = String::from_utf8(body)
        .unwrap()
        .replace("179517000123456", "179517000199999")
        .replace(
            "Bonjour, is the blue jacket back in stock?",
            "A later message",
        );
    let resp = post_signed(&hook, later.as_bytes(), SIGNING_SECRET, now_ms()).await;
    assert_eq!(resp.status(), 200);
    let got = wait_received(&helpdesk, &secret, 2).await;
    let texts: Vec<&str> = got
        .iter()
        .map(|p| p["data"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Bonjour, is the blue jacket back in stock?",
            "A later message"
        ]
    );
    assert_eq!(
        types(&events_of(&app, &id, "").await),
        ["message.received", "message.received"],
        "the replay stored nothing"
    );
}

#[tokio::test]
async fn a_reply_is_sent_to_crisp_as_the_plugin_operator() {
    let crisp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(
            json!({"error": false, "reason": "dispatched", "data": {"fingerprint": 1795170200001_i64}}),
        ))
        .mount(&crisp)
        .await;
    let base = crisp.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("crisp".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (channel, hook) = approved_channel(&app, true, json!({})).await;
    let body = fixture("crisp", "message-send-text.json");
    assert_eq!(
        post_signed(&hook, &body, SIGNING_SECRET, now_ms())
            .await
            .status(),
        200
    );
    let conversation = events_of(&app, &channel, "").await[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, m) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": "Yes, size M is back."}}),
        )
        .await;
    assert_eq!(status, 202, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let done = eventually(15, "the reply to settle", || async {
        let (_, m) = app.get(&format!("/v1/messages/{id}")).await;
        matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
    })
    .await;
    assert_eq!(done["status"], "delivered", "{done}");

    let reqs = crisp.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].url.path(),
        format!("/v1/website/{WEBSITE}/conversation/{SESSION}/message")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{IDENTIFIER}:{KEY}"));
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        format!("Basic {basic}").as_str()
    );
    assert_eq!(reqs[0].headers.get("x-crisp-tier").unwrap(), "plugin");
    let sent: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"type": "text", "content": "Yes, size M is back.", "from": "operator", "origin": "chat"})
    );
}

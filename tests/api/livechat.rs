//! LiveChat through the running gateway: the `secret_key` in the body checked before anything is
//! stored, a chat start delivered with its first messages, retries stored once, agent and bot
//! messages kept apart from the customer's, and replies sent to a local fake of the Agent Chat
//! API.

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

/// The secret every fixture carries as `secret_key`.
const WEBHOOK_SECRET: &str = "lc-fixture-secret";
const ACCESS_TOKEN: &str = "dal:bot-token-0123456789";
const CHAT: &str = "RZ4M2XK7QP";

/// A fixture with its `secret_key` replaced, or removed when `None`.
fn with_secret(name: &str, secret: Option<&str>) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(&fixture("livechat", name)).unwrap();
    match secret {
        Some(s) => body["secret_key"] = json!(s),
        None => {
            body.as_object_mut().unwrap().remove("secret_key");
        }
    }
    body.to_string().into_bytes()
}

/// A LiveChat channel taken through approval; returns (channel id, webhook URL).
async fn approved_channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "livechat",
            json!({"webhook_secret": WEBHOOK_SECRET, "access_token": ACCESS_TOKEN}),
            Value::Null,
        )
        .await;
    assert_ne!(
        ch.created["credentials"]["access_token"], ACCESS_TOKEN,
        "secrets are masked"
    );
    let url = ch.url();
    (ch.id, url)
}

async fn post_livechat(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn webhooks_with_the_right_secret_key_reach_the_helpdesk_in_order() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["conversation.opened", "conversation.closed", "message.received", "message.echo"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app).await;
    for name in [
        "incoming-chat.json",
        "incoming-event-customer-text.json",
        "incoming-event-agent-text.json",
        "chat-deactivated-by-agent.json",
    ] {
        assert_eq!(
            post_livechat(&hook, fixture("livechat", name))
                .await
                .status(),
            200,
            "{name}"
        );
    }
    let got = wait_received(&helpdesk, &secret, 6).await;
    assert_eq!(
        types(&got),
        [
            "conversation.opened",
            "message.received",
            "message.echo",
            "message.received",
            "message.echo",
            "conversation.closed"
        ],
        "a chat start brings its first messages, then the later events follow"
    );
    assert!(got
        .iter()
        .all(|p| p["data"]["conversation"]["provider_ref"] == CHAT));
    let opened = &got[0]["data"];
    assert_eq!(opened["channel"]["provider"], "livechat");
    assert_eq!(opened["contact"]["name"], "Lucía Gómez");
    assert_eq!(opened["contact"]["email"], "lucia.gomez@example.com");
    assert_eq!(
        got[3]["data"]["message"]["content"],
        json!({"type": "text", "text": "They are the wrong size."})
    );
    assert_eq!(got[4]["data"]["message"]["origin"], "provider");
    assert_eq!(
        got[5]["data"]["provider_event"]["detail"]["closed_by"],
        "agent"
    );
    for p in &got {
        assert!(
            !p.to_string().contains(WEBHOOK_SECRET),
            "the secret key never reaches the helpdesk"
        );
    }
}

#[tokio::test]
async fn the_raw_body_a_helpdesk_receives_has_the_secret_key_redacted() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"include_raw": true, "event_types": ["message.received", "provider.unrecognized"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app).await;
    // A mapped event and one no mapping understands (which always carries its raw body).
    let mut unknown: Value =
        serde_json::from_slice(&fixture("livechat", "incoming-event-customer-text.json")).unwrap();
    unknown["action"] = json!("thread_tagged");
    for body in [
        fixture("livechat", "incoming-event-customer-text.json"),
        unknown.to_string().into_bytes(),
    ] {
        assert_eq!(post_livechat(&hook, body).await.status(), 200);
    }
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.received", "provider.unrecognized"]);
    for p in &got {
        let raw = &p["data"]["raw"];
        assert_eq!(raw["secret_key"], "[redacted]", "{p}");
        assert_eq!(
            raw["payload"]["chat_id"], CHAT,
            "the rest of the body is kept: {p}"
        );
        assert!(!p.to_string().contains(WEBHOOK_SECRET), "{p}");
    }
    // Nor is it in what the admin API shows.
    let (status, events) = app.get("/v1/events?limit=10").await;
    assert_eq!(status, 200);
    assert!(!events.to_string().contains(WEBHOOK_SECRET), "{events}");
}

#[tokio::test]
async fn a_wrong_or_missing_secret_key_is_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    let name = "incoming-event-customer-text.json";
    for (body, code) in [
        (
            with_secret(name, Some("lc-fixture-secreT")),
            "signature_invalid",
        ),
        (with_secret(name, Some("")), "signature_invalid"),
        (with_secret(name, None), "signature_missing"),
        (b"not json".to_vec(), "signature_missing"),
    ] {
        let resp = post_livechat(&hook, body).await;
        assert_eq!(resp.status(), 401);
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["code"], code);
    }
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_redelivered_webhook_is_stored_once_and_agent_messages_are_never_received() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    for name in [
        "incoming-event-customer-text.json",
        "incoming-event-customer-text.json",
        "incoming-event-agent-text.json",
        "incoming-event-bot-text.json",
        "incoming-event-agent-internal-note.json",
        "incoming-event-agent-text.json",
    ] {
        assert_eq!(
            post_livechat(&hook, fixture("livechat", name))
                .await
                .status(),
            200,
            "{name}"
        );
    }
    let events = events_of(&app, &id, "").await;
    assert_eq!(
        types(&events),
        [
            "message.received",
            "message.echo",
            "message.echo",
            "message.echo"
        ],
        "each LiveChat event stored once"
    );
    let received = events_of(&app, &id, "&type=message.received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0]["data"]["contact"]["provider_ref"],
        "b3d7e2f1-4c5a-4e8b-9f01-2a3b4c5d6e7f"
    );
}

#[tokio::test]
async fn a_reply_is_sent_with_the_bearer_token_to_send_event() {
    let livechat = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"event_id":"RZ4M2XK7QT_12"}"#))
        .mount(&livechat)
        .await;
    let base = livechat.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("livechat".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (id, hook) = approved_channel(&app).await;
    post_livechat(
        &hook,
        fixture("livechat", "incoming-event-customer-text.json"),
    )
    .await;
    let events = events_of(&app, &id, "&type=message.received").await;
    let conversation = events[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, m) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": "A return label is on its way."}}),
        )
        .await;
    assert_eq!(status, 202, "{m}");
    let message_id = m["id"].as_str().unwrap().to_string();
    let done = eventually(15, "the reply to settle", || async {
        let (_, m) = app.get(&format!("/v1/messages/{message_id}")).await;
        matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
    })
    .await;
    assert_eq!(done["status"], "delivered", "{done}");

    let reqs = livechat.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.path(), "/v3.6/agent/action/send_event");
    assert_eq!(
        reqs[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {ACCESS_TOKEN}")
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        body,
        json!({"chat_id": CHAT, "event": {"type": "message", "text": "A return label is on its way.", "visibility": "all"}})
    );

    let (status, p) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "image", "url": "https://cdn.example.com/label.png"}}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("content_type_not_supported")),
        "{p}"
    );
}

//! Tawk.to through the running gateway: webhooks signed with HMAC-SHA1 in (wrong, missing and
//! repeated ones refused or stored once), a chat's lifecycle and transcript out to the
//! helpdesk, and replies refused because Tawk.to cannot take them.

use serde_json::{json, Value};

use crate::helpers::*;

const SECRET: &str = "tawk-webhook-secret-3e9a";
const CHAT: &str = "4c2a7e10-8b3f-11f1-a6d2-3b9e5f7c1d24";

/// A Tawk.to channel taken through approval; returns (channel id, webhook URL).
async fn approved_channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel("tawkto", json!({"webhook_secret": SECRET}), Value::Null)
        .await;
    assert_ne!(
        ch.created["credentials"]["webhook_secret"], SECRET,
        "masked"
    );
    let url = ch.url();
    (ch.id, url)
}

/// POSTs `body` as Tawk.to does, signed with `secret`, as event `event_id`.
async fn post_signed(url: &str, body: &[u8], secret: &str, event_id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-tawk-signature", omnigate_tawkto::signature(secret, body))
        .header("x-hook-event-id", event_id)
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
async fn a_chat_reaches_the_helpdesk_from_its_first_message_to_its_transcript() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["conversation.*", "message.*"]}),
        )
        .await;
    let (_, hook) = approved_channel(&app).await;
    for (name, event_id) in [
        ("chat-start.json", "e-1"),
        ("chat-end.json", "e-2"),
        ("chat-transcript.json", "e-3"),
    ] {
        let resp = post_signed(&hook, &fixture("tawkto", name), SECRET, event_id).await;
        assert_eq!(resp.status(), 200, "{name}");
    }
    let got = wait_received(&helpdesk, &secret, 4).await;
    assert_eq!(
        types(&got),
        [
            "conversation.opened",
            "message.received",
            "conversation.closed",
            "conversation.transcript"
        ]
    );
    let first = &got[1]["data"];
    assert_eq!(first["channel"]["provider"], "tawkto");
    assert_eq!(first["conversation"]["provider_ref"], CHAT);
    assert_eq!(first["contact"]["email"], "ola@example.no");
    assert_eq!(
        first["message"]["content"],
        json!({"type": "text", "text": "Do you rent e-bikes for a whole week?"})
    );
    let transcript = &got[3]["data"];
    assert_eq!(
        transcript["conversation"]["id"],
        first["conversation"]["id"]
    );
    let lines = transcript["provider_event"]["detail"]["messages"]
        .as_array()
        .unwrap();
    assert_eq!(lines[1]["sender"], "agent");
    assert_eq!(
        lines[1]["text"],
        "Yes, 7 days is 1200 NOK including the helmet."
    );
}

#[tokio::test]
async fn wrong_and_missing_signatures_are_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    let body = fixture("tawkto", "chat-start.json");
    let wrong = post_signed(&hook, &body, "not-the-secret", "e-1").await;
    assert_eq!(refused(wrong).await, (401, "signature_invalid".into()));
    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_retried_webhook_is_stored_once_by_its_event_id_never_by_content() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    let body = fixture("tawkto", "chat-start.json");
    for _ in 0..2 {
        let resp = post_signed(&hook, &body, SECRET, "e-retried").await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(
        types(&events_of(&app, &id, "").await),
        ["conversation.opened", "message.received"],
        "both events of the webhook, once"
    );
    let resp = post_signed(&hook, &body, SECRET, "e-new").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(events_of(&app, &id, "").await.len(), 4);
}

#[tokio::test]
async fn a_reply_to_a_tawkto_chat_is_refused_with_409_naming_the_provider() {
    let app = spawn_app().await;
    let (id, hook) = approved_channel(&app).await;
    let resp = post_signed(&hook, &fixture("tawkto", "chat-start.json"), SECRET, "e-1").await;
    assert_eq!(resp.status(), 200);
    let conversation = events_of(&app, &id, "").await[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, p) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": "hello"}}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("reply_not_supported")),
        "{p}"
    );
    assert_eq!(p["provider"], "tawkto");
}

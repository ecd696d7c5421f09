//! JivoChat through the running gateway: unsigned Bot API events on the secret webhook URL in,
//! a retried event stored once, and replies posted as `BOT_MESSAGE` to the bot provider's Jivo
//! endpoint.

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::provider_kit::*;

fn fixture(name: &str) -> Vec<u8> {
    crate::helpers::fixture("jivochat", name)
}

async fn channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "jivochat",
            json!({"provider_id": "omnigate-7f3a2c", "bot_token": "jivo-bot-token-5c9e"}),
            json!({}),
        )
        .await;
    let url = ch.url();
    (ch.id, url)
}

#[tokio::test]
async fn a_client_message_reaches_the_helpdesk_and_a_retry_is_stored_once() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.*", "conversation.*"]}),
        )
        .await;
    let (id, hook) = channel(&app).await;
    let body = fixture("client-message.json");
    for _ in 0..2 {
        assert_eq!(post_hook(&hook, body.clone()).await.status(), 200);
    }
    assert_eq!(
        post_hook(&hook, fixture("chat-closed.json")).await.status(),
        200
    );
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.received", "conversation.closed"]);
    assert_eq!(got[0]["data"]["conversation"]["provider_ref"], "77310:5521");
    assert_eq!(got[0]["data"]["contact"]["name"], "Ana Lima");
    assert_eq!(
        events_of(&app, &id, "").await.len(),
        2,
        "the retry is stored once"
    );
}

#[tokio::test]
async fn a_wrong_webhook_key_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let forged = format!("{}x", hook);
    let resp = post_hook(&forged, fixture("client-message.json")).await;
    assert_eq!(refused(resp).await, (404, "unknown_webhook_key".into()));
    assert!(events_of(&app, &id, "").await.is_empty());
}

#[tokio::test]
async fn a_reply_is_a_bot_message_to_the_providers_jivo_endpoint() {
    let jivo = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/webhooks/omnigate-7f3a2c/jivo-bot-token-5c9e"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&jivo)
        .await;
    let base = jivo.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("jivochat".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (channel_id, hook) = channel(&app).await;
    assert_eq!(
        post_hook(&hook, fixture("client-message.json"))
            .await
            .status(),
        200
    );
    let conversation = first_conversation(&app, &channel_id).await;
    let done = reply_settled(&app, &conversation, "Entregamos sim!").await;
    assert_eq!(done["status"], "delivered", "{done}");
    let reqs = jivo.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    let sent: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(sent["event"], "BOT_MESSAGE");
    assert_eq!(
        (sent["client_id"].as_str(), sent["chat_id"].as_str()),
        (Some("77310"), Some("5521"))
    );
    assert_eq!(
        sent["message"],
        json!({"type": "TEXT", "text": "Entregamos sim!", "timestamp": sent["message"]["timestamp"]})
    );
}

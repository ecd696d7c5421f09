//! Tidio through the running gateway: webhooks signed over `{body}_{t}` in (forged, missing and
//! stale ones refused, a retried delivery stored once), operator replies out as echoes, and
//! replies refused because Tidio has no live-chat API.

use serde_json::json;

use crate::helpers::*;
use crate::provider_kit::*;

const SECRET: &str = "tidio-webhook-secret-6f1a";
const CONTACT: &str = "147ae37d-43bc-42a6-bc7b-c10d1525a2f7";

fn fixture(name: &str) -> Vec<u8> {
    crate::helpers::fixture("tidio", name)
}

async fn channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel("tidio", json!({"webhook_secret": SECRET}), json!({}))
        .await;
    let url = ch.url();
    (ch.id, url)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn post_signed(url: &str, body: &[u8], secrets: &[&str], t: i64) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Tidio Webhook")
        .header(
            "x-tidio-signature",
            omnigate_tidio::signature_header(secrets, t, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_webhooks_reach_the_helpdesk_and_operator_replies_are_echoes() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["contact.*", "message.*"]}),
        )
        .await;
    let (_, hook) = channel(&app).await;
    for name in ["contact-created.json", "conversation-operator-replied.json"] {
        let resp = post_signed(&hook, &fixture(name), &["old-secret", SECRET], now()).await;
        assert_eq!(resp.status(), 200, "{name}");
    }
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["contact.updated", "message.echo"]);
    let contact = &got[0]["data"];
    assert_eq!(contact["channel"]["provider"], "tidio");
    assert_eq!(contact["conversation"]["provider_ref"], CONTACT);
    assert_eq!(contact["contact"]["email"], "ines.duarte@example.pt");
    let echo = &got[1]["data"];
    assert_eq!(echo["conversation"]["id"], contact["conversation"]["id"]);
    assert_eq!(echo["message"]["origin"], "provider");
    assert_eq!(
        echo["message"]["content"]["text"],
        "Your order ships tomorrow."
    );
}

#[tokio::test]
async fn forged_missing_and_stale_signatures_are_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("contact-created.json");
    let forged = post_signed(&hook, &body, &["not-the-secret"], now()).await;
    assert_eq!(refused(forged).await, (401, "signature_invalid".into()));
    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));
    let stale = post_signed(&hook, &body, &[SECRET], now() - 3600).await;
    assert_eq!(
        refused(stale).await,
        (401, "timestamp_out_of_window".into())
    );
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_retried_delivery_is_stored_once_by_its_webhook_id() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("contact-created.json");
    for _ in 0..2 {
        assert_eq!(
            post_signed(&hook, &body, &[SECRET], now()).await.status(),
            200
        );
    }
    assert_eq!(events_of(&app, &id, "").await.len(), 1);
    let other = fixture("contact-updated-minimal.json");
    assert_eq!(
        post_signed(&hook, &other, &[SECRET], now()).await.status(),
        200
    );
    assert_eq!(events_of(&app, &id, "").await.len(), 2);
}

#[tokio::test]
async fn a_reply_to_a_tidio_conversation_is_refused_with_409() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("conversation-operator-replied.json");
    assert_eq!(
        post_signed(&hook, &body, &[SECRET], now()).await.status(),
        200
    );
    let conversation = first_conversation(&app, &id).await;
    let (status, p) = reply_refused(
        &app,
        &conversation,
        json!({"type": "text", "text": "hello"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("reply_not_supported")),
        "{p}"
    );
    assert_eq!(p["provider"], "tidio");
}

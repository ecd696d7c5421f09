//! LivePerson through the running gateway: signed notifications in (forged signatures and
//! another app's notifications refused), a batch stored as one event per change and once on a
//! redelivery, agent messages out as echoes, and replies refused (why: the crate's README).

use serde_json::json;

use crate::helpers::*;
use crate::provider_kit::*;

const SECRET: &str = "lp-client-secret-0e4b";
const ACCOUNT: &str = "64467156";
const CLIENT: &str = "2f1c7a9e-4b3d-4e8a-9c6f-1d2e3f4a5b6c";

async fn channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "liveperson",
            json!({"account_id": ACCOUNT, "client_id": CLIENT, "client_secret": SECRET}),
            json!({}),
        )
        .await;
    let url = ch.url();
    (ch.id, url)
}

async fn post_signed(url: &str, body: &[u8], secret: &str, client: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-liveperson-signature",
            omnigate_liveperson::signature(secret, body, false),
        )
        .header("x-liveperson-account-id", ACCOUNT)
        .header("x-liveperson-client-id", client)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_becomes_one_event_per_change_and_a_redelivery_is_stored_once() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["message.*"]}))
        .await;
    let (id, hook) = channel(&app).await;
    let body = fixture("liveperson", "batch-consumer-agent-typing.json");
    for _ in 0..2 {
        assert_eq!(
            post_signed(&hook, &body, SECRET, CLIENT).await.status(),
            200
        );
    }
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.received", "message.echo"]);
    assert_eq!(
        got[0]["data"]["message"]["content"]["text"],
        "Great, thanks!"
    );
    assert_eq!(got[1]["data"]["message"]["origin"], "provider");
    assert_eq!(
        got[0]["data"]["conversation"]["id"],
        got[1]["data"]["conversation"]["id"]
    );
    assert_eq!(
        events_of(&app, &id, "").await.len(),
        3,
        "three changes, stored once"
    );
}

#[tokio::test]
async fn forged_and_foreign_notifications_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("liveperson", "consumer-text.json");
    let forged = post_signed(&hook, &body, "not-the-secret", CLIENT).await;
    assert_eq!(refused(forged).await, (401, "signature_invalid".into()));
    let other_app = post_signed(&hook, &body, SECRET, "another-app").await;
    assert_eq!(refused(other_app).await, (401, "signature_invalid".into()));
    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));
    assert!(events_of(&app, &id, "").await.is_empty());
}

#[tokio::test]
async fn a_reply_is_refused_with_409() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("liveperson", "consumer-text.json");
    assert_eq!(
        post_signed(&hook, &body, SECRET, CLIENT).await.status(),
        200
    );
    let conversation = first_conversation(&app, &id).await;
    let (status, p) =
        reply_refused(&app, &conversation, json!({"type": "text", "text": "hi"})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("reply_not_supported")),
        "{p}"
    );
    assert_eq!(p["provider"], "liveperson");
}

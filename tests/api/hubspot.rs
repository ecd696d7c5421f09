//! HubSpot through the running gateway: v3-signed batches in, checked against the URL rebuilt
//! from the public URL (forged, foreign-host and stale signatures refused), each event stored
//! once by its eventId, and replies posted to the thread with the access token.

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::provider_kit::*;

const SECRET: &str = "hubspot-client-secret-77c1";

fn creds(secret: &str) -> serde_json::Map<String, Value> {
    json!({"app_id": "1098266", "client_secret": secret,
           "access_token": "pat-na1-test-token", "sender_actor_id": "A-5190441",
           "channel_id": "1000", "channel_account_id": "62415"})
    .as_object()
    .cloned()
    .unwrap()
}

async fn channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel("hubspot", Value::Object(creds(SECRET)), json!({}))
        .await;
    let url = ch.url();
    (ch.id, url)
}

async fn post_signed(
    url: &str,
    signed_for: &str,
    body: &[u8],
    secret: &str,
    at: i64,
) -> reqwest::Response {
    let signed = omnigate_hubspot::sign_for(signed_for, &creds(secret), body, at).unwrap();
    let mut req = reqwest::Client::new().post(url);
    for (k, v) in signed.headers {
        req = req.header(k, v);
    }
    req.body(body.to_vec()).send().await.unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_signed_batch_is_stored_once_per_event_and_reaches_the_helpdesk() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["conversation.*"]}))
        .await;
    let (id, hook) = channel(&app).await;
    let body = fixture("hubspot", "batch-lifecycle.json");
    for _ in 0..2 {
        assert_eq!(
            post_signed(&hook, &hook, &body, SECRET, now())
                .await
                .status(),
            200
        );
    }
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(
        types(&got),
        ["conversation.handover", "conversation.closed"]
    );
    assert_eq!(got[0]["data"]["conversation"]["provider_ref"], "7412055081");
    assert_eq!(
        events_of(&app, &id, "").await.len(),
        4,
        "four events, stored once"
    );
}

#[tokio::test]
async fn forged_foreign_host_and_stale_signatures_are_refused() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("hubspot", "creation.json");
    let forged = post_signed(&hook, &hook, &body, "not-the-secret", now()).await;
    assert_eq!(refused(forged).await, (401, "signature_invalid".into()));
    // Signed for the URL a client claims (its Host header), not the gateway's public URL.
    let elsewhere = hook.replacen("127.0.0.1", "attacker.example", 1);
    let foreign = post_signed(&hook, &elsewhere, &body, SECRET, now()).await;
    assert_eq!(refused(foreign).await, (401, "signature_invalid".into()));
    let stale = post_signed(&hook, &hook, &body, SECRET, now() - 600).await;
    assert_eq!(
        refused(stale).await,
        (401, "timestamp_out_of_window".into())
    );
    assert!(events_of(&app, &id, "").await.is_empty());
}

#[tokio::test]
async fn a_reply_is_posted_to_the_thread_with_the_access_token() {
    let hubspot = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/conversations/v3/conversations/threads/7412055081/messages",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "msg-9"})))
        .mount(&hubspot)
        .await;
    let base = hubspot.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("hubspot".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (id, hook) = channel(&app).await;
    let body = fixture("hubspot", "creation.json");
    assert_eq!(
        post_signed(&hook, &hook, &body, SECRET, now())
            .await
            .status(),
        200
    );
    let conversation = first_conversation(&app, &id).await;
    let done = reply_settled(&app, &conversation, "On its way.").await;
    assert_eq!(done["status"], "delivered", "{done}");
    let reqs = hubspot.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        "Bearer pat-na1-test-token"
    );
    let sent: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(sent["text"], "On its way.");
    assert_eq!(sent["senderActorId"], "A-5190441");
}

//! HubSpot through the running gateway: v3-signed batches in, checked against the URL rebuilt
//! from the public URL (forged, foreign-host and stale signatures refused), each event stored
//! once by its eventId, thin new-message events filled in from HubSpot's message API before
//! they are forwarded, and replies posted to the thread with the access token.

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use std::time::Duration;

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
    // The batch's new message is read from HubSpot, then skipped: the destination takes
    // conversation events only.
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/conversations/v3/conversations/threads/7412055081/messages/b72d1f5a3c0e4f8a9b2c3d4e5f6a7b8c"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(message_answer("message-outgoing-agent.json")),
        )
        .mount(&hubspot)
        .await;
    let app = gateway_with(&hubspot, Duration::from_millis(100)).await;
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

const MESSAGE_PATH: &str =
    "/conversations/v3/conversations/threads/7412055081/messages/a61c0e4f2b9d4e7f8a1b2c3d4e5f6a7b";

/// HubSpot's answer to reading a message, from the connector's test answers.
fn message_answer(name: &str) -> Value {
    let path = format!(
        "{}/connectors/hubspot/tests/answers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// A gateway whose HubSpot API is `hubspot`, retrying provider calls after `retry`.
async fn gateway_with(hubspot: &MockServer, retry: Duration) -> TestApp {
    let base = hubspot.uri();
    spawn_with(move |s| {
        s.providers
            .insert("hubspot".into(), ProviderSettings { api_base: base });
        s.relay.retry_schedule = vec![Duration::ZERO, retry, retry];
        s.relay.jitter = 0.0;
    })
    .await
}

async fn post_new_message(hook: &str) {
    let body = fixture("hubspot", "new-message.json");
    let resp = post_signed(hook, hook, &body, SECRET, now()).await;
    assert_eq!(resp.status(), 200, "acked once stored");
}

/// The requests HubSpot's fake received for the message.
async fn message_reads(hubspot: &MockServer) -> Vec<wiremock::Request> {
    hubspot
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == MESSAGE_PATH)
        .collect()
}

#[tokio::test]
async fn a_new_message_reaches_the_helpdesk_with_its_text_read_with_the_access_token() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGE_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(message_answer("message-incoming.json")),
        )
        .mount(&hubspot)
        .await;
    let app = gateway_with(&hubspot, Duration::from_millis(100)).await;
    let helpdesk = helpdesk_ok().await;
    // A destination that takes visitor messages only still gets it: the type is known once
    // the message has been read.
    let (dest, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (id, hook) = channel(&app).await;
    post_new_message(&hook).await;
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["message.received"]);
    let data = &got[0]["data"];
    assert_eq!(
        data["message"]["content"],
        json!({"type": "text", "text": "Is the blue one in stock?"})
    );
    assert_eq!(data["message"]["direction"], "inbound");
    assert_eq!(data["contact"]["name"], "Mina Park");
    assert_eq!(data["contact"]["email"], "mina@example.com");
    assert_eq!(data["conversation"]["provider_ref"], "7412055081");
    assert_eq!(
        data["provider_event"]["detail"]["enrichment"],
        json!({"status": "enriched"})
    );
    let reads = message_reads(&hubspot).await;
    assert_eq!(reads.len(), 1);
    assert_eq!(
        reads[0].headers.get("authorization").unwrap(),
        "Bearer pat-na1-test-token"
    );
    // Stored filled in: the events API shows it, and a replay forwards it without asking
    // HubSpot again.
    let stored = events_of(&app, &id, "").await;
    assert_eq!(types(&stored), ["message.received"]);
    let (status, r) = app
        .post(
            &format!("/v1/destinations/{dest}/replay"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((status, r["queued"].as_u64()), (202, Some(1)), "{r}");
    let again = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(again[1]["data"]["message"], got[0]["data"]["message"]);
    assert_eq!(message_reads(&hubspot).await.len(), 1, "read once");
}

#[tokio::test]
async fn a_temporary_failure_is_retried_and_the_message_arrives_filled_in() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGE_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&hubspot)
        .await;
    Mock::given(method("GET"))
        .and(path(MESSAGE_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(message_answer("message-outgoing-agent.json")),
        )
        .mount(&hubspot)
        .await;
    let app = gateway_with(&hubspot, Duration::from_millis(100)).await;
    let helpdesk = helpdesk_ok().await;
    let (_, hook) = channel(&app).await;
    let (dest, secret) = app.destination(&helpdesk.uri(), json!({})).await;
    post_new_message(&hook).await;
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["message.echo"], "an agent's message");
    assert_eq!(
        got[0]["data"]["message"]["content"]["text"],
        "Yes, it ships today."
    );
    assert_eq!(
        got[0]["data"]["provider_event"]["detail"]["sender_name"],
        "Jonas Berg"
    );
    assert_eq!(
        message_reads(&hubspot).await.len(),
        2,
        "503, then the answer"
    );
    let delivered = app.settled_deliveries(&dest).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["status"], "delivered");
    assert_eq!(delivered[0]["event_type"], "message.echo");
}

#[tokio::test]
async fn a_deleted_message_is_forwarded_with_what_is_known_and_the_reason() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGE_PATH))
        .respond_with(ResponseTemplate::new(404))
        .mount(&hubspot)
        .await;
    let app = gateway_with(&hubspot, Duration::from_millis(100)).await;
    let helpdesk = helpdesk_ok().await;
    let (_, hook) = channel(&app).await;
    let (_, secret) = app.destination(&helpdesk.uri(), json!({})).await;
    post_new_message(&hook).await;
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["provider.unrecognized"]);
    let detail = &got[0]["data"]["provider_event"]["detail"];
    assert_eq!(detail["messageId"], "a61c0e4f2b9d4e7f8a1b2c3d4e5f6a7b");
    assert_eq!(detail["enrichment"]["status"], "failed");
    assert_eq!(detail["enrichment"]["code"], "not_found");
    assert_eq!(
        detail["enrichment"]["reason"],
        "HubSpot no longer has it (HTTP 404)"
    );
    assert_eq!(message_reads(&hubspot).await.len(), 1, "not retried");
}

#[tokio::test]
async fn while_a_message_waits_for_hubspot_other_conversations_go_on_and_its_own_waits() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGE_PATH))
        .respond_with(ResponseTemplate::new(503))
        .mount(&hubspot)
        .await;
    // The next try is far off: the message stays pending for the whole test.
    let app = gateway_with(&hubspot, Duration::from_secs(600)).await;
    let helpdesk = helpdesk_ok().await;
    let (_, hook) = channel(&app).await;
    let (dest, secret) = app.destination(&helpdesk.uri(), json!({})).await;
    post_new_message(&hook).await;
    // Its conversation closes after the message; another conversation opens.
    let item = |thread: u64, event: u64, extra: Value| {
        let mut e = json!({"eventId": event, "subscriptionId": 1870311, "portalId": 22761544,
                           "appId": 1098266, "occurredAt": 1795170000000_u64,
                           "attemptNumber": 0, "objectId": thread});
        e.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        e
    };
    let later = json!([
        item(
            7412055081,
            4100000101,
            json!({"subscriptionType": "conversation.propertyChange",
                                            "propertyName": "status", "propertyValue": "CLOSED"})
        ),
        item(
            7412055999,
            4100000102,
            json!({"subscriptionType": "conversation.creation"})
        ),
    ]);
    let later = serde_json::to_vec(&later).unwrap();
    assert_eq!(
        post_signed(&hook, &hook, &later, SECRET, now())
            .await
            .status(),
        200
    );
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["conversation.opened"]);
    assert_eq!(got[0]["data"]["conversation"]["provider_ref"], "7412055999");
    // The message was asked for and waits on its retry; the close behind it waits too.
    eventually(15, "the message's wait to be recorded", || async {
        let all = app.deliveries(&format!("destination={dest}")).await;
        let waiting = all.iter().find(|d| {
            d["status"] == "failed"
                && d["last_error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("enrichment_http_503"))
        });
        waiting.map(|_| ())
    })
    .await;
    let all = app.deliveries(&format!("destination={dest}")).await;
    let statuses: Vec<(&str, &str)> = all
        .iter()
        .map(|d| {
            (
                d["event_type"].as_str().unwrap(),
                d["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("enrichment.pending", "failed"),
            ("conversation.closed", "pending"),
            ("conversation.opened", "delivered"),
        ]
    );
    assert_eq!(received(&helpdesk, &secret).await.len(), 1);
}

//! Smartsupp through the running gateway: webhooks signed with the client secret in (forged and
//! missing signatures refused, a redelivery stored once), agent messages out as echoes (the
//! echo of a relayed reply marked as omnigate's), a contact named by id only read from the
//! contacts API before the event is forwarded, and replies posted to the conversation messages
//! API with the API token.

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::provider_kit::*;

const SECRET: &str = "smartsupp-client-secret-2b7c";
const TOKEN_VALUE: &str = "ss_api_token_8d1e4f";
const CONVERSATION: &str = "conv_7Hq2LmX9";

fn fixture(name: &str) -> Vec<u8> {
    crate::helpers::fixture("smartsupp", name)
}

async fn channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "smartsupp",
            json!({"client_secret": SECRET, "api_token": TOKEN_VALUE, "agent_id": "4821"}),
            json!({}),
        )
        .await;
    let url = ch.url();
    (ch.id, url)
}

async fn post_signed(url: &str, body: &[u8], secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-smartsupp-hmac",
            omnigate_smartsupp::signature(secret, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_webhooks_reach_the_helpdesk_and_agent_messages_are_echoes() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["message.*"]}))
        .await;
    let (_, hook) = channel(&app).await;
    for name in ["contact-replied.json", "agent-replied.json"] {
        assert_eq!(
            post_signed(&hook, &fixture(name), SECRET).await.status(),
            200,
            "{name}"
        );
    }
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.received", "message.echo"]);
    let visitor = &got[0]["data"];
    assert_eq!(visitor["channel"]["provider"], "smartsupp");
    assert_eq!(visitor["conversation"]["provider_ref"], CONVERSATION);
    assert_eq!(visitor["contact"]["name"], "Ola Nordmann");
    assert_eq!(
        visitor["message"]["content"]["text"],
        "Hi, do you rent e-bikes by the week?"
    );
    let echo = &got[1]["data"];
    assert_eq!(echo["conversation"]["id"], visitor["conversation"]["id"]);
    assert_eq!(echo["message"]["origin"], "provider");
}

#[tokio::test]
async fn forged_and_missing_signatures_are_refused_with_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("contact-replied.json");
    let forged = post_signed(&hook, &body, "not-the-secret").await;
    assert_eq!(refused(forged).await, (401, "signature_invalid".into()));
    let unsigned = post_hook(&hook, body.clone()).await;
    assert_eq!(refused(unsigned).await, (401, "signature_missing".into()));
    assert!(events_of(&app, &id, "").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_redelivered_message_is_stored_once_by_its_message_id() {
    let app = spawn_app().await;
    let (id, hook) = channel(&app).await;
    let body = fixture("contact-replied.json");
    for _ in 0..2 {
        assert_eq!(post_signed(&hook, &body, SECRET).await.status(), 200);
    }
    assert_eq!(types(&events_of(&app, &id, "").await), ["message.received"]);
    let other = fixture("contact-replied-minimal.json");
    assert_eq!(post_signed(&hook, &other, SECRET).await.status(), 200);
    assert_eq!(events_of(&app, &id, "").await.len(), 2);
}

#[tokio::test]
async fn a_reply_is_posted_with_the_token_and_its_echo_is_marked_as_omnigates() {
    let smartsupp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/conversations/{CONVERSATION}/messages")))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "msg_R1", "sub_type": "agent"})),
        )
        .mount(&smartsupp)
        .await;
    let base = smartsupp.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("smartsupp".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (channel_id, hook) = channel(&app).await;
    let body = fixture("contact-replied.json");
    assert_eq!(post_signed(&hook, &body, SECRET).await.status(), 200);
    let conversation = first_conversation(&app, &channel_id).await;
    let done = reply_settled(&app, &conversation, "Yes: 7 days is 1200 NOK.").await;
    assert_eq!(done["status"], "delivered", "{done}");
    let reqs = smartsupp.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        format!("Bearer {TOKEN_VALUE}").as_str()
    );
    let sent: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"content": {"type": "text", "text": "Yes: 7 days is 1200 NOK."}, "agent_id": "4821"})
    );
    // Smartsupp reports the sent message back as an agent reply: marked as omnigate's.
    let echo = fixture("agent-replied.json");
    assert_eq!(post_signed(&hook, &echo, SECRET).await.status(), 200);
    let echoes = events_of(&app, &channel_id, "&type=message.echo").await;
    assert_eq!(echoes.len(), 1);
    assert_eq!(
        echoes[0]["data"]["message"]["origin"], "omnigate",
        "{}",
        echoes[0]
    );
}

#[tokio::test]
async fn a_reply_over_the_limit_is_refused_before_anything_is_queued() {
    let app = spawn_app().await;
    let (channel_id, hook) = channel(&app).await;
    assert_eq!(
        post_signed(&hook, &fixture("contact-replied.json"), SECRET)
            .await
            .status(),
        200
    );
    let conversation = first_conversation(&app, &channel_id).await;
    let long = "a".repeat(omnigate_smartsupp::MAX_TEXT_CHARS + 1);
    let (status, p) =
        reply_refused(&app, &conversation, json!({"type": "text", "text": long})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("text_too_long")),
        "{p}"
    );
}

/// A gateway whose Smartsupp API is `smartsupp`.
async fn gateway_with(smartsupp: &MockServer) -> TestApp {
    let base = smartsupp.uri();
    spawn_with(move |s| {
        s.providers
            .insert("smartsupp".into(), ProviderSettings { api_base: base });
    })
    .await
}

#[tokio::test]
async fn a_contact_named_by_id_only_is_read_with_the_token_before_the_event_goes_on() {
    let smartsupp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/contacts/ct_51Rk8Wd"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": "ct_51Rk8Wd", "name": "Petra Holub", "email": "petra@example.com"}),
        ))
        .mount(&smartsupp)
        .await;
    let app = gateway_with(&smartsupp).await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["conversation.*"]}))
        .await;
    let (_, hook) = channel(&app).await;
    let body = fixture("conversation-opened.json");
    assert_eq!(post_signed(&hook, &body, SECRET).await.status(), 200);
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["conversation.opened"]);
    let data = &got[0]["data"];
    assert_eq!(data["contact"]["provider_ref"], "ct_51Rk8Wd");
    assert_eq!(data["contact"]["name"], "Petra Holub");
    assert_eq!(data["contact"]["email"], "petra@example.com");
    assert_eq!(
        data["provider_event"]["detail"]["enrichment"]["status"],
        "enriched"
    );
    let reads = smartsupp.received_requests().await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        reads[0].headers.get("authorization").unwrap(),
        &format!("Bearer {TOKEN_VALUE}")
    );
}

#[tokio::test]
async fn a_contact_smartsupp_no_longer_has_leaves_the_event_with_its_id_and_the_reason() {
    let smartsupp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/contacts/ct_51Rk8Wd"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&smartsupp)
        .await;
    let app = gateway_with(&smartsupp).await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["conversation.*"]}))
        .await;
    let (_, hook) = channel(&app).await;
    let body = fixture("conversation-opened.json");
    assert_eq!(post_signed(&hook, &body, SECRET).await.status(), 200);
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(types(&got), ["conversation.opened"]);
    let data = &got[0]["data"];
    assert_eq!(data["contact"]["provider_ref"], "ct_51Rk8Wd");
    assert_eq!(data["contact"]["name"], Value::Null);
    assert_eq!(
        data["provider_event"]["detail"]["enrichment"],
        json!({"status": "failed", "code": "not_found",
               "reason": "Smartsupp no longer has it (HTTP 404)"})
    );
}

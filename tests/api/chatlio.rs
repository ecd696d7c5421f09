//! Chatlio through the running gateway: one webhook URL per Chatlio webhook, each turned into
//! its own event type at the helpdesk; wrong URLs refused, unreadable payloads kept.

use serde_json::{json, Value};

use crate::helpers::*;

const TOPICS: [&str; 5] = [
    "transcript",
    "offline-message",
    "new-conversation",
    "unanswered",
    "feedback",
];
const VISITOR: &str = "7c1e9a52-4f0b-4e1d-8a6b-2f3c4d5e6f70";
const FIRST_CHAT: &str = "a41f0c3e-9d2b-4c55-7e10-b2a9c8d7e6f5";

async fn create_chatlio_channel(app: &TestApp) -> Value {
    let (status, ch) = app
        .post(
            "/v1/channels",
            json!({"provider": "chatlio", "name": "Website chat",
                   "credentials": {"widget_id": "6e25c5f7-2227-4b9e-7299-6610bc951a7a"}}),
        )
        .await;
    assert_eq!(status, 201, "{ch}");
    ch
}

/// A Chatlio channel taken through approval; returns (channel id, the approval response).
async fn approved_chatlio_channel(app: &TestApp) -> (String, Value) {
    let ch = app
        .approved_channel(
            "chatlio",
            json!({"widget_id": "6e25c5f7-2227-4b9e-7299-6610bc951a7a"}),
            Value::Null,
        )
        .await;
    (ch.id, ch.approval)
}

fn url_of(approval: &Value, topic: &str) -> String {
    approval["webhook_urls"][topic]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_chatlio_channel_needs_no_secret_and_gets_one_webhook_url_per_webhook() {
    let app = spawn_with(|s| s.server.public_url = "https://omnigate.example.com/".into()).await;
    let ch = create_chatlio_channel(&app).await;
    assert_eq!(ch["state"], "unverified");
    assert_eq!(
        ch["credentials"]["widget_id"], "6e25c5f7-2227-4b9e-7299-6610bc951a7a",
        "the widget id is no secret and is shown as it is"
    );
    let id = ch["id"].as_str().unwrap();
    let (status, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(status, 200, "{pending}");
    assert!(pending["webhook_url"].is_null(), "no single URL fits all");
    let urls = pending["webhook_urls"].as_object().expect("webhook_urls");
    assert_eq!(urls.len(), TOPICS.len(), "{urls:?}");
    let key = urls["transcript"]
        .as_str()
        .unwrap()
        .strip_prefix("https://omnigate.example.com/hooks/")
        .and_then(|rest| rest.strip_suffix("/transcript"))
        .expect("a URL under the public base")
        .to_string();
    assert!(key.len() >= 43, "the webhook key is unguessable: {key}");
    for topic in TOPICS {
        assert_eq!(
            urls[topic],
            format!("https://omnigate.example.com/hooks/{key}/{topic}"),
            "one key, one path per webhook"
        );
    }

    let (status, bare) = app
        .post(
            "/v1/channels",
            json!({"provider": "chatlio", "name": "No widget", "credentials": {}}),
        )
        .await;
    assert_eq!(status, 201, "no credential is required: {bare}");
    let (status, problem) = app
        .post(
            "/v1/channels",
            json!({"provider": "chatlio", "name": "x", "credentials": {"api_key": "k"}}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("invalid_credentials"))
    );
    assert_eq!(
        problem["field"], "credentials.api_key",
        "the field is named"
    );
    let (status, problem) = app
        .post(
            "/v1/channels",
            json!({"provider": "chatlio", "name": "x", "credentials": {},
                   "settings": {"allowed_source_ips": ["nope"]}}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("invalid_settings"))
    );
}

#[tokio::test]
async fn each_chatlio_webhook_reaches_the_helpdesk_as_its_own_event_type() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["*"]}))
        .await;
    let (_, approval) = approved_chatlio_channel(&app).await;
    for (topic, name) in [
        ("new-conversation", "new-conversation.json"),
        ("unanswered", "unanswered.json"),
        ("feedback", "feedback.json"),
        ("offline-message", "offline-message.json"),
        ("transcript", "transcript.json"),
    ] {
        let resp = post_hook(&url_of(&approval, topic), fixture("chatlio", name)).await;
        assert_eq!(resp.status(), 200, "{topic}");
    }
    let got = wait_received(&helpdesk, &secret, 7).await; // five events and two state changes
    let got: Vec<Value> = got
        .into_iter()
        .filter(|p| p["type"] != "channel.state_changed")
        .collect();
    let mut got_types = types(&got);
    got_types.sort();
    assert_eq!(
        got_types,
        [
            "conversation.opened",
            "conversation.transcript",
            "conversation.unanswered",
            "feedback.received",
            "message.offline"
        ]
    );
    let of = |t: &str| &got.iter().find(|p| p["type"] == t).unwrap()["data"];

    let opened = of("conversation.opened");
    assert_eq!(opened["channel"]["provider"], "chatlio");
    assert_eq!(opened["conversation"]["provider_ref"], FIRST_CHAT);
    assert_eq!(opened["contact"]["provider_ref"], VISITOR);
    assert_eq!(
        opened["message"]["content"],
        json!({"type": "text", "text": "Do you ship to Canada?"})
    );
    assert_eq!(opened["provider_event"]["type"], "new-conversation");
    assert_eq!(
        opened["provider_event"]["detail"]["visitor"]["currentPage"],
        "https://shop.example.com/pricing"
    );

    let unanswered = of("conversation.unanswered");
    assert_eq!(unanswered["contact"]["provider_ref"], VISITOR);
    assert_eq!(unanswered["contact"]["name"], "Lee Jordan");
    assert_ne!(
        unanswered["conversation"]["id"], opened["conversation"]["id"],
        "another conversationUUID is another conversation"
    );

    let transcript = of("conversation.transcript");
    assert_eq!(
        transcript["conversation"]["id"],
        opened["conversation"]["id"]
    );
    assert_eq!(
        of("feedback.received")["conversation"]["id"],
        opened["conversation"]["id"]
    );
    let lines = transcript["provider_event"]["detail"]["messages"]
        .as_array()
        .unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["sender"], "visitor");
    assert_eq!(lines[1]["sender"], "agent");
    assert_eq!(lines[1]["text"], "We do, in 3 to 5 days.");

    let offline = of("message.offline");
    assert_eq!(offline["conversation"], Value::Null);
    assert_eq!(offline["contact"]["email"], "ana.souza@example.com");
    assert_eq!(
        offline["message"]["content"]["text"],
        "Please call me back about a bulk order."
    );

    let same_chat: Vec<&str> = got
        .iter()
        .filter(|p| p["data"]["conversation"]["provider_ref"] == FIRST_CHAT)
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        same_chat,
        [
            "conversation.opened",
            "feedback.received",
            "conversation.transcript"
        ],
        "one conversation's events arrive in the order they came"
    );
}

#[tokio::test]
async fn the_bare_url_and_unknown_topics_answer_404_and_store_nothing() {
    let app = spawn_app().await;
    let (id, approval) = approved_chatlio_channel(&app).await;
    let transcript_url = url_of(&approval, "transcript");
    let bare = transcript_url.strip_suffix("/transcript").unwrap();
    for url in [
        bare.to_string(),
        format!("{bare}/nope"),
        format!("{bare}/Transcript"),
        format!("{bare}/offline"),
    ] {
        let resp = post_hook(&url, fixture("chatlio", "transcript.json")).await;
        assert_eq!(resp.status(), 404, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "unknown_webhook_key");
    }
    assert!(events_of(&app, &id, "").await.is_empty());
    assert_eq!(
        post_hook(&transcript_url, fixture("chatlio", "transcript.json"))
            .await
            .status(),
        200,
        "the topic URL itself works"
    );
    assert_eq!(events_of(&app, &id, "").await.len(), 1);
}

#[tokio::test]
async fn an_unreadable_chatlio_payload_is_acked_and_kept_raw_as_unrecognized() {
    let app = spawn_app().await;
    let (id, approval) = approved_chatlio_channel(&app).await;
    let truncated = fixture("chatlio", "transcript-truncated.json");
    let resp = post_hook(&url_of(&approval, "transcript"), truncated.clone()).await;
    assert_eq!(resp.status(), 200);
    let resp = post_hook(
        &url_of(&approval, "new-conversation"),
        r#"[{"visitor": {"UUID": "v1"}, "message": "hi"}]"#,
    )
    .await;
    assert_eq!(resp.status(), 200, "a body that is not a JSON object");

    let events = events_of(&app, &id, "").await;
    assert_eq!(
        types(&events),
        ["provider.unrecognized", "provider.unrecognized"]
    );
    let first = &events[0]["data"];
    assert_eq!(first["provider_event"]["type"], "transcript");
    assert_eq!(
        first["raw"],
        String::from_utf8(truncated).unwrap(),
        "the raw body is kept"
    );
    let second = &events[1]["data"];
    assert_eq!(second["provider_event"]["type"], "new-conversation");
    assert_eq!(second["conversation"], Value::Null);
    assert_eq!(second["raw"][0]["visitor"]["UUID"], "v1");
}

#[tokio::test]
async fn a_reply_to_a_chatlio_conversation_is_refused_naming_the_provider() {
    let app = spawn_app().await;
    let (id, approval) = approved_chatlio_channel(&app).await;
    let resp = post_hook(
        &url_of(&approval, "new-conversation"),
        fixture("chatlio", "new-conversation.json"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let events = events_of(&app, &id, "").await;
    let conversation = events[0]["data"]["conversation"]["id"]
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
    assert_eq!(p["provider"], "chatlio");
    assert!(p["detail"].as_str().unwrap().contains("chatlio"));
    let (_, providers) = app.get("/v1/providers").await;
    let chatlio = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "chatlio")
        .unwrap()
        .clone();
    assert_eq!(chatlio["replies"], false);
    assert_eq!(chatlio["topics"].as_array().unwrap().len(), 5);
}

/// Asks to relay a text reply into `conversation`; the answer's status and body.
async fn reply_to(app: &TestApp, conversation: &str) -> (u16, Value) {
    app.post(
        &format!("/v1/conversations/{conversation}/messages"),
        json!({"content": {"type": "text", "text": "hello"}}),
    )
    .await
}

#[tokio::test]
async fn a_webhook_without_a_conversation_uuid_reaches_the_helpdesk_as_its_topic_and_refuses_replies(
) {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["*"]}))
        .await;
    let (_, approval) = approved_chatlio_channel(&app).await;
    for (topic, name) in [
        ("new-conversation", "aep-new-conversation.json"),
        ("unanswered", "aep-unanswered.json"),
        ("transcript", "transcript.json"),
    ] {
        let resp = post_hook(&url_of(&approval, topic), fixture("chatlio", name)).await;
        assert_eq!(resp.status(), 200, "{topic}");
    }
    let got = wait_received(&helpdesk, &secret, 5).await; // three events and two state changes
    let got: Vec<Value> = got
        .into_iter()
        .filter(|p| p["type"] != "channel.state_changed")
        .collect();
    let mut got_types = types(&got);
    got_types.sort();
    assert_eq!(
        got_types,
        [
            "conversation.opened",
            "conversation.transcript",
            "conversation.unanswered"
        ]
    );
    let of = |t: &str| &got.iter().find(|p| p["type"] == t).unwrap()["data"];
    let (opened, unanswered) = (of("conversation.opened"), of("conversation.unanswered"));
    let aep_visitor = "2d3f4260-2235-903b-0a82-a23d326cc257";
    assert_eq!(
        opened["conversation"]["provider_ref"],
        format!("visitor:{aep_visitor}"),
        "keyed by the visitor, marked as such"
    );
    assert_eq!(unanswered["conversation"], opened["conversation"]);
    let visitors: Vec<&str> = got
        .iter()
        .filter(|p| p["data"]["conversation"] == opened["conversation"])
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        visitors,
        ["conversation.opened", "conversation.unanswered"],
        "one conversation's events arrive in the order they came"
    );
    assert_eq!(opened["contact"]["provider_ref"], aep_visitor);
    assert_eq!(opened["contact"]["email"], "test@example.com");
    assert_eq!(
        opened["message"]["content"],
        json!({"type": "text", "text": "Hi"})
    );
    assert_eq!(opened["provider_event"]["type"], "new-conversation");
    assert_eq!(
        opened["provider_event"]["detail"]["slackChannelId"],
        "C04JVR71WKS"
    );

    let transcript = of("conversation.transcript");
    assert_eq!(transcript["conversation"]["provider_ref"], FIRST_CHAT);
    for conversation in [
        &opened["conversation"]["id"],
        &transcript["conversation"]["id"],
    ] {
        let conversation = conversation.as_str().unwrap();
        let (status, p) = reply_to(&app, conversation).await;
        assert_eq!(
            (status, p["code"].as_str(), p["provider"].as_str()),
            (409, Some("reply_not_supported"), Some("chatlio")),
            "{conversation}: {p}"
        );
    }
    let (status, p) = reply_to(&app, "cnv_00000000000000000000000000000000").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (404, Some("not_found")),
        "{p}"
    );
}

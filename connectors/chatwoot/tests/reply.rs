//! Replies as Chatwoot's messages API takes them: one call, to the channel's own Chatwoot,
//! with the access token; answers classified as retryable or final.

use omnigate_chatwoot::Chatwoot;
use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use serde_json::{json, Map, Value};

fn ctx<'a>(creds: &'a Map<String, Value>, recipient: &'a str) -> ReplyContext<'a> {
    ReplyContext {
        credentials: creds,
        api_base: "https://app.chatwoot.com",
        recipient,
    }
}

#[test]
fn a_text_reply_is_one_outgoing_public_message_on_the_channels_own_chatwoot() {
    let creds = Chatwoot.example_credentials();
    let content = json!({"type": "text", "text": "Your parcel left the depot today."});
    let call = Chatwoot
        .next_reply_call(&ctx(&creds, "42"), &content, &[])
        .unwrap()
        .expect("one call");
    assert_eq!(
        call.url,
        "https://chat.northwind.example/api/v1/accounts/7/conversations/42/messages"
    );
    assert!(call
        .headers
        .contains(&("api_access_token".into(), "cw-agent-token".into())));
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(
        body,
        json!({"content": "Your parcel left the depot today.", "message_type": "outgoing",
               "private": false, "content_type": "text"})
    );
    assert_eq!(
        Chatwoot
            .next_reply_call(&ctx(&creds, "42"), &content, &[None])
            .unwrap(),
        None,
        "sent after one call"
    );
}

#[test]
fn without_a_base_url_the_configured_api_base_is_used() {
    let mut creds = Chatwoot.example_credentials();
    creds.remove("base_url");
    let call = Chatwoot
        .next_reply_call(
            &ctx(&creds, "42"),
            &json!({"type": "text", "text": "hi"}),
            &[],
        )
        .unwrap()
        .expect("one call");
    assert!(call
        .url
        .starts_with("https://app.chatwoot.com/api/v1/accounts/7/"));
}

#[test]
fn only_non_empty_text_is_accepted() {
    let cases = [
        (json!({"type": "text", "text": "  "}), "empty_text"),
        (
            json!({"type": "text", "text": "pick", "quick_replies": [{"title": "A", "code": "a"}]}),
            "quick_replies_not_supported",
        ),
        (
            json!({"type": "image", "url": "https://x.test/a.png"}),
            "content_type_not_supported",
        ),
        (json!({"type": "typing_on"}), "content_type_not_supported"),
        (json!({"type": "video"}), "invalid_content"),
    ];
    for (content, code) in cases {
        assert_eq!(
            Chatwoot.validate_reply(&content).unwrap_err().code,
            code,
            "{content}"
        );
    }
    assert!(Chatwoot.capabilities().replies);
    assert_eq!(Chatwoot.capabilities().content_types, ["text"]);
}

#[test]
fn a_conversation_key_that_is_not_a_chatwoot_id_never_reaches_the_url() {
    let creds = Chatwoot.example_credentials();
    let err = Chatwoot
        .next_reply_call(
            &ctx(&creds, "42/../../admin"),
            &json!({"type": "text", "text": "hi"}),
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code, "invalid_recipient");
}

#[test]
fn answers_are_sent_retryable_or_final_by_status() {
    assert_eq!(
        Chatwoot.interpret_reply(0, 200, br#"{"id": 5020, "content": "hi"}"#),
        CallOutcome::Ok {
            value: Some("5020".into())
        }
    );
    for status in [408, 429, 500, 502, 503] {
        assert!(
            matches!(Chatwoot.interpret_reply(0, status, b""), CallOutcome::Retryable { code, .. } if code == format!("http_{status}")),
            "{status}"
        );
    }
    let refused = Chatwoot.interpret_reply(
        0,
        401,
        br#"{"error": "You need to sign in or sign up before continuing."}"#,
    );
    assert_eq!(
        refused,
        CallOutcome::Permanent {
            code: "http_401".into(),
            message: "You need to sign in or sign up before continuing.".into()
        }
    );
    assert!(matches!(
        Chatwoot.interpret_reply(0, 404, b"<html>"),
        CallOutcome::Permanent { code, .. } if code == "http_404"
    ));
}

//! Replies rendered for HubSpot's thread messages API, the limits checked before queueing and
//! how HubSpot's answers are read.

use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use omnigate_hubspot::{HubSpot, MAX_TEXT_CHARS};
use serde_json::{json, Value};

#[test]
fn a_text_reply_is_a_message_from_the_channels_sender() {
    let creds = HubSpot.example_credentials();
    let ctx = ReplyContext {
        credentials: &creds,
        api_base: "https://api.hub.test/",
        recipient: "7412055081",
    };
    let call = HubSpot
        .next_reply_call(&ctx, &json!({"type": "text", "text": "On its way."}), &[])
        .unwrap()
        .unwrap();
    assert_eq!(
        call.url,
        "https://api.hub.test/conversations/v3/conversations/threads/7412055081/messages"
    );
    assert!(call.headers.contains(&(
        "authorization".into(),
        "Bearer pat-na1-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d".into()
    )));
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body["type"], "MESSAGE");
    assert_eq!(body["text"], "On its way.");
    assert_eq!(body["senderActorId"], "A-5190441");
    assert_eq!(
        (
            body["channelId"].as_str(),
            body["channelAccountId"].as_str()
        ),
        (Some("1000"), Some("62415"))
    );
}

#[test]
fn missing_reply_fields_limits_and_bad_threads_are_refused() {
    let mut creds = HubSpot.example_credentials();
    let text = json!({"type": "text", "text": "x"});
    let ctx = ReplyContext {
        credentials: &creds,
        api_base: "https://x",
        recipient: "../1",
    };
    assert_eq!(
        HubSpot.next_reply_call(&ctx, &text, &[]).unwrap_err().code,
        "invalid_recipient"
    );
    creds.remove("sender_actor_id");
    let ctx = ReplyContext {
        credentials: &creds,
        api_base: "https://x",
        recipient: "1",
    };
    assert_eq!(
        HubSpot.next_reply_call(&ctx, &text, &[]).unwrap_err().code,
        "channel_misconfigured"
    );
    let long = json!({"type": "text", "text": "a".repeat(MAX_TEXT_CHARS + 1)});
    assert_eq!(
        HubSpot.validate_reply(&long).unwrap_err().code,
        "text_too_long"
    );
}

#[test]
fn answers_are_sent_retryable_or_permanent() {
    assert_eq!(
        HubSpot.interpret_reply(0, 201, br#"{"id":"m-1"}"#),
        CallOutcome::Ok {
            value: Some("m-1".into())
        }
    );
    assert!(matches!(
        HubSpot.interpret_reply(0, 429, b""),
        CallOutcome::Retryable { .. }
    ));
    match HubSpot.interpret_reply(
        0,
        400,
        br#"{"category":"VALIDATION_ERROR","message":"bad"}"#,
    ) {
        CallOutcome::Permanent { message, .. } => assert_eq!(message, "VALIDATION_ERROR: bad"),
        other => panic!("{other:?}"),
    }
}

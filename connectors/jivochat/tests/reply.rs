//! Replies rendered as Jivo `BOT_MESSAGE` events: the endpoint with the provider id and token,
//! the body, the limits checked before queueing, and how Jivo's answers are read.

use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use omnigate_jivochat::{JivoChat, MAX_TEXT_CHARS};
use serde_json::{json, Map, Value};

fn creds() -> Map<String, Value> {
    json!({"provider_id": "omnigate-7f3a2c", "bot_token": "jivo-bot-token-5c9e"})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_text_reply_is_a_bot_message_to_the_providers_endpoint() {
    let creds = creds();
    let ctx = ReplyContext {
        credentials: &creds,
        api_base: "https://bot.jivo.test/",
        recipient: "77310:5521",
    };
    let text = json!({"type": "text", "text": "Entregamos sim!"});
    let call = JivoChat.next_reply_call(&ctx, &text, &[]).unwrap().unwrap();
    assert_eq!(
        call.url,
        "https://bot.jivo.test/webhooks/omnigate-7f3a2c/jivo-bot-token-5c9e"
    );
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body["event"], "BOT_MESSAGE");
    assert_eq!(body["client_id"], "77310");
    assert_eq!(body["chat_id"], "5521");
    assert_eq!(body["message"]["type"], "TEXT");
    assert_eq!(body["message"]["text"], "Entregamos sim!");
    assert!(body["message"]["timestamp"].as_u64().unwrap() > 1_700_000_000);
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    let again: Value = serde_json::from_slice(
        &JivoChat
            .next_reply_call(&ctx, &text, &[])
            .unwrap()
            .unwrap()
            .body,
    )
    .unwrap();
    assert_ne!(again["id"], body["id"], "every reply is a new event");
    assert_eq!(JivoChat.next_reply_call(&ctx, &text, &[None]), Ok(None));
}

#[test]
fn limits_recipients_and_content_are_checked_before_queueing() {
    let code = |c: Value| JivoChat.validate_reply(&c).unwrap_err().code;
    assert_eq!(
        code(json!({"type": "text", "text": "a".repeat(MAX_TEXT_CHARS + 1)})),
        "text_too_long"
    );
    assert_eq!(
        code(json!({"type": "typing_on"})),
        "content_type_not_supported"
    );
    let creds = creds();
    for recipient in ["5521", ":5521", "77310:"] {
        let ctx = ReplyContext {
            credentials: &creds,
            api_base: "https://x",
            recipient,
        };
        let err = JivoChat
            .next_reply_call(&ctx, &json!({"type": "text", "text": "x"}), &[])
            .unwrap_err();
        assert_eq!(err.code, "invalid_recipient", "{recipient}");
    }
}

#[test]
fn answers_are_sent_retryable_or_permanent() {
    assert_eq!(
        JivoChat.interpret_reply(0, 200, b""),
        CallOutcome::Ok { value: None }
    );
    for status in [429, 500, 502, 503] {
        assert!(matches!(
            JivoChat.interpret_reply(0, status, b""),
            CallOutcome::Retryable { .. }
        ));
    }
    for status in [400, 401, 403, 404] {
        assert!(matches!(
            JivoChat.interpret_reply(0, status, b"{}"),
            CallOutcome::Permanent { .. }
        ));
    }
}

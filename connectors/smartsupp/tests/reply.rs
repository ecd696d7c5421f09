//! Replies rendered for Smartsupp's conversation messages API: the URL, the bearer token, the
//! body with and without an agent, the limits checked before queueing, and how answers are read.

use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use omnigate_smartsupp::{Smartsupp, MAX_TEXT_CHARS};
use serde_json::{json, Map, Value};

fn creds(agent: bool) -> Map<String, Value> {
    let mut c = json!({"client_secret": "s", "api_token": "ss_api_token_8d1e4f"});
    if agent {
        c["agent_id"] = json!(4821);
    }
    c.as_object().cloned().unwrap_or_default()
}

fn call(
    creds: &Map<String, Value>,
    recipient: &str,
    content: Value,
) -> Result<Option<omnigate_connector_core::ProviderCall>, omnigate_connector_core::ReplyError> {
    let ctx = ReplyContext {
        credentials: creds,
        api_base: "https://api.smartsupp.test/",
        recipient,
    };
    Smartsupp.next_reply_call(&ctx, &content, &[])
}

#[test]
fn a_text_reply_is_one_post_with_the_bearer_token_and_the_agent() {
    let text = json!({"type": "text", "text": "Ships today."});
    let c = call(&creds(true), "conv_7Hq2LmX9", text.clone())
        .unwrap()
        .unwrap();
    assert_eq!(
        c.url,
        "https://api.smartsupp.test/v2/conversations/conv_7Hq2LmX9/messages"
    );
    assert!(c
        .headers
        .contains(&("authorization".into(), "Bearer ss_api_token_8d1e4f".into())));
    let body: Value = serde_json::from_slice(&c.body).unwrap();
    assert_eq!(
        body,
        json!({"content": {"type": "text", "text": "Ships today."}, "agent_id": "4821"})
    );
    let without: Value = serde_json::from_slice(
        &call(&creds(false), "conv_7Hq2LmX9", text.clone())
            .unwrap()
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        without,
        json!({"content": {"type": "text", "text": "Ships today."}})
    );
    let ctx = ReplyContext {
        credentials: &creds(true),
        api_base: "https://x",
        recipient: "conv_7Hq2LmX9",
    };
    assert_eq!(
        Smartsupp.next_reply_call(&ctx, &text, &[Some("m1".into())]),
        Ok(None)
    );
}

#[test]
fn limits_and_unsupported_content_are_refused_before_queueing() {
    let long = "a".repeat(MAX_TEXT_CHARS + 1);
    let code = |c: Value| Smartsupp.validate_reply(&c).unwrap_err().code;
    assert_eq!(code(json!({"type": "text", "text": long})), "text_too_long");
    assert_eq!(
        Smartsupp.validate_reply(&json!({"type": "text", "text": "a".repeat(MAX_TEXT_CHARS)})),
        Ok(())
    );
    assert_eq!(
        code(json!({"type": "image", "url": "https://x/y.png"})),
        "content_type_not_supported"
    );
    assert_eq!(code(json!({"type": "text", "text": " "})), "empty_text");
    let bad = call(
        &creds(true),
        "../admin",
        json!({"type": "text", "text": "x"}),
    );
    assert_eq!(bad.unwrap_err().code, "invalid_recipient");
    let mut no_token = creds(true);
    no_token.remove("api_token");
    let bad = call(&no_token, "conv_1", json!({"type": "text", "text": "x"}));
    assert_eq!(bad.unwrap_err().code, "channel_misconfigured");
}

#[test]
fn answers_are_sent_retryable_or_permanent() {
    assert_eq!(
        Smartsupp.interpret_reply(0, 201, br#"{"id":"msg_B7","sub_type":"agent"}"#),
        CallOutcome::Ok {
            value: Some("msg_B7".into())
        }
    );
    for status in [408, 429, 500, 503] {
        assert!(
            matches!(
                Smartsupp.interpret_reply(0, status, b""),
                CallOutcome::Retryable { .. }
            ),
            "{status}"
        );
    }
    let refused = Smartsupp.interpret_reply(
        0,
        422,
        br#"{"code":"invalid_parameters","message":"Property agent_id is required when sub_type is \"agent\""}"#,
    );
    match refused {
        CallOutcome::Permanent { code, message } => {
            assert_eq!(code, "http_422");
            assert!(
                message.starts_with("invalid_parameters: Property agent_id"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Smartsupp.interpret_reply(0, 401, b"{}"),
        CallOutcome::Permanent { .. }
    ));
}

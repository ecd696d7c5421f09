//! Replies as Crisp's REST API takes them: one call as the plugin, with Basic authentication
//! of the plugin token; answers classified as retryable or final.

use base64::Engine;
use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use omnigate_crisp::Crisp;
use serde_json::{json, Map, Value};

const SESSION: &str = "session_0f9e7b52-3c1a-4d8e-b6f2-91a4c7e5d203";
const WEBSITE: &str = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";

fn ctx<'a>(creds: &'a Map<String, Value>, recipient: &'a str) -> ReplyContext<'a> {
    ReplyContext {
        credentials: creds,
        api_base: "https://api.crisp.test/",
        recipient,
    }
}

#[test]
fn a_text_reply_is_one_operator_message_sent_as_the_plugin() {
    let creds = Crisp.example_credentials();
    let content = json!({"type": "text", "text": "Yes, size M is back."});
    let call = Crisp
        .next_reply_call(&ctx(&creds, SESSION), &content, &[])
        .unwrap()
        .expect("one call");
    assert_eq!(
        call.url,
        format!("https://api.crisp.test/v1/website/{WEBSITE}/conversation/{SESSION}/message")
    );
    let basic = base64::engine::general_purpose::STANDARD
        .encode("7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b:crisp-plugin-key-0a1b2c3d");
    assert!(call
        .headers
        .contains(&("authorization".into(), format!("Basic {basic}"))));
    assert!(call
        .headers
        .contains(&("x-crisp-tier".into(), "plugin".into())));
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(
        body,
        json!({"type": "text", "content": "Yes, size M is back.", "from": "operator", "origin": "chat"})
    );
    assert_eq!(
        Crisp
            .next_reply_call(&ctx(&creds, SESSION), &content, &[None])
            .unwrap(),
        None
    );
}

#[test]
fn only_non_empty_text_is_accepted_and_session_keys_are_checked() {
    for (content, code) in [
        (json!({"type": "text", "text": ""}), "empty_text"),
        (
            json!({"type": "text", "text": "x", "quick_replies": [{"title": "A", "code": "a"}]}),
            "quick_replies_not_supported",
        ),
        (
            json!({"type": "handover_pass"}),
            "content_type_not_supported",
        ),
        (json!({"text": "no type"}), "invalid_content"),
    ] {
        assert_eq!(
            Crisp.validate_reply(&content).unwrap_err().code,
            code,
            "{content}"
        );
    }
    let creds = Crisp.example_credentials();
    let err = Crisp
        .next_reply_call(
            &ctx(&creds, "session_1/../../x"),
            &json!({"type": "text", "text": "hi"}),
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code, "invalid_recipient");
}

#[test]
fn answers_are_sent_retryable_or_final() {
    assert_eq!(
        Crisp.interpret_reply(
            0,
            202,
            br#"{"error":false,"reason":"dispatched","data":{"fingerprint":163408258691}}"#
        ),
        CallOutcome::Ok {
            value: Some("163408258691".into())
        }
    );
    assert!(matches!(
        Crisp.interpret_reply(0, 429, b""),
        CallOutcome::Retryable { code, .. } if code == "http_429"
    ));
    assert!(matches!(
        Crisp.interpret_reply(0, 503, b""),
        CallOutcome::Retryable { .. }
    ));
    assert_eq!(
        Crisp.interpret_reply(
            0,
            404,
            br#"{"error":true,"reason":"session_not_found","data":{}}"#
        ),
        CallOutcome::Permanent {
            code: "http_404".into(),
            message: "session_not_found".into()
        }
    );
    assert!(matches!(
        Crisp.interpret_reply(0, 401, b""),
        CallOutcome::Permanent { code, .. } if code == "http_401"
    ));
}

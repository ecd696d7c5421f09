//! Replies as LiveChat `send_event` calls: the URL, bearer token and body, what is refused before
//! anything is queued, and how answers are classified.

use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use omnigate_livechat::LiveChat;
use serde_json::{json, Map, Value};

fn creds() -> Map<String, Value> {
    json!({"webhook_secret": "lc-whs", "access_token": "dal:Zx9-token"})
        .as_object()
        .cloned()
        .expect("an object")
}

#[test]
fn a_text_reply_is_one_send_event_call_with_the_bearer_token() {
    let c = creds();
    let ctx = ReplyContext {
        credentials: &c,
        api_base: "https://api.livechatinc.com/",
        recipient: "RZ4M2XK7QP",
    };
    let content = json!({"type": "text", "text": "Here is your return label."});
    let call = LiveChat
        .next_reply_call(&ctx, &content, &[])
        .unwrap()
        .expect("one call");
    assert_eq!(
        call.url,
        "https://api.livechatinc.com/v3.6/agent/action/send_event"
    );
    assert!(call
        .headers
        .contains(&("authorization".into(), "Bearer dal:Zx9-token".into())));
    assert!(call
        .headers
        .contains(&("content-type".into(), "application/json".into())));
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(
        body,
        json!({"chat_id": "RZ4M2XK7QP", "event": {"type": "message", "text": "Here is your return label.", "visibility": "all"}})
    );
    assert_eq!(
        LiveChat.next_reply_call(&ctx, &content, &[None]).unwrap(),
        None,
        "one call per reply"
    );
}

#[test]
fn only_plain_text_is_accepted() {
    for (content, code) in [
        (json!({"type": "text", "text": "  "}), "empty_text"),
        (
            json!({"type": "text", "text": "x", "quick_replies": [{"title": "A", "code": "a"}]}),
            "quick_replies_not_supported",
        ),
        (
            json!({"type": "image", "url": "https://x.test/a.png"}),
            "content_type_not_supported",
        ),
        (json!({"type": "typing_on"}), "content_type_not_supported"),
        (json!({"type": "text"}), "invalid_content"),
    ] {
        assert_eq!(
            LiveChat.validate_reply(&content).unwrap_err().code,
            code,
            "{content}"
        );
    }
}

#[test]
fn a_channel_without_a_token_fails_the_reply_as_misconfigured() {
    let c = Map::new();
    let ctx = ReplyContext {
        credentials: &c,
        api_base: "https://api.livechatinc.com",
        recipient: "C1",
    };
    let err = LiveChat
        .next_reply_call(&ctx, &json!({"type": "text", "text": "x"}), &[])
        .unwrap_err();
    assert_eq!(err.code, "channel_misconfigured");
}

#[test]
fn answers_are_classified_with_livechat_s_error_as_the_message() {
    assert_eq!(
        LiveChat.interpret_reply(0, 200, br#"{"event_id":"K600PKZON8"}"#),
        CallOutcome::Ok { value: None }
    );
    assert_eq!(
        LiveChat.interpret_reply(
            0,
            401,
            br#"{"error":{"type":"authentication","message":"Invalid access token"}}"#
        ),
        CallOutcome::Permanent {
            code: "http_401".into(),
            message: "authentication: Invalid access token".into()
        }
    );
    assert!(matches!(
        LiveChat.interpret_reply(0, 422, b"not json"),
        CallOutcome::Permanent { code, .. } if code == "http_422"
    ));
    for status in [408, 429, 500, 502] {
        assert!(
            matches!(LiveChat.interpret_reply(0, status, b"{}"), CallOutcome::Retryable { code, .. } if code == format!("http_{status}")),
            "{status}"
        );
    }
}

#[test]
fn capabilities_announce_text_replies_through_the_livechat_api() {
    let caps = LiveChat.capabilities();
    assert!(caps.replies);
    assert_eq!(caps.content_types, ["text"]);
    assert_eq!(LiveChat.default_api_base(), "https://api.livechatinc.com");
    assert_eq!(LiveChat.provider(), "livechat");
    assert_eq!(LiveChat.secret_fields(), ["webhook_secret", "access_token"]);
}

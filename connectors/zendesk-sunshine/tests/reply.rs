//! Replies as Sunshine API calls: the path, Basic authentication and body of each content type,
//! the limits checked before anything is queued, and how answers are classified.

use omnigate_connector_core::{CallOutcome, Connector, ProviderCall, ReplyContext};
use omnigate_zendesk_sunshine::ZendeskSunshine;
use serde_json::{json, Map, Value};

fn creds() -> Map<String, Value> {
    json!({"app_id": "6a1f0c2b9d4e8a7b3c5d1e2f", "key_id": "app_5f4eaef81e3dcc117c7ba48b",
           "key_secret": "sk-Zx9", "webhook_secret": "whs"})
    .as_object()
    .cloned()
    .expect("an object")
}

fn call(creds: &Map<String, Value>, recipient: &str, content: Value) -> ProviderCall {
    let ctx = ReplyContext {
        credentials: creds,
        api_base: "https://acme.zendesk.com/sc/",
        recipient,
    };
    ZendeskSunshine
        .next_reply_call(&ctx, &content, &[])
        .expect("a valid reply")
        .expect("one call")
}

fn body(call: &ProviderCall) -> Value {
    serde_json::from_slice(&call.body).expect("a JSON body")
}

#[test]
fn a_text_reply_is_posted_as_the_business_with_basic_auth_of_the_key() {
    let c = creds();
    let call = call(
        &c,
        "c0ffee0123456789abcdef01",
        json!({"type": "text", "text": "It ships today."}),
    );
    assert_eq!(
        call.url,
        "https://acme.zendesk.com/sc/v2/apps/6a1f0c2b9d4e8a7b3c5d1e2f/conversations/c0ffee0123456789abcdef01/messages"
    );
    // base64("app_5f4eaef81e3dcc117c7ba48b:sk-Zx9")
    assert!(call.headers.contains(&(
        "authorization".into(),
        "Basic YXBwXzVmNGVhZWY4MWUzZGNjMTE3YzdiYTQ4Yjpzay1aeDk=".into()
    )));
    assert!(call
        .headers
        .contains(&("content-type".into(), "application/json".into())));
    assert_eq!(
        body(&call),
        json!({"author": {"type": "business"}, "content": {"type": "text", "text": "It ships today."}})
    );
    let ctx = ReplyContext {
        credentials: &c,
        api_base: "https://api.smooch.io",
        recipient: "c1",
    };
    assert_eq!(
        ZendeskSunshine
            .next_reply_call(&ctx, &json!({"type": "text", "text": "x"}), &[None])
            .unwrap(),
        None,
        "one call per reply"
    );
}

#[test]
fn quick_replies_become_reply_actions_and_images_are_sent_by_url() {
    let c = creds();
    let text = call(
        &c,
        "c1",
        json!({"type": "text", "text": "Track it?", "quick_replies": [{"title": "Yes", "code": "TRACK"}]}),
    );
    assert_eq!(
        body(&text)["content"]["actions"],
        json!([{"type": "reply", "text": "Yes", "payload": "TRACK"}])
    );
    let image = call(
        &c,
        "c1",
        json!({"type": "image", "url": "https://cdn.example.com/label.png"}),
    );
    assert_eq!(
        body(&image)["content"],
        json!({"type": "image", "mediaUrl": "https://cdn.example.com/label.png"})
    );
}

#[test]
fn typing_indicators_are_activities_of_the_business() {
    let c = creds();
    let on = call(&c, "c1", json!({"type": "typing_on"}));
    assert!(on.url.ends_with("/conversations/c1/activity"), "{}", on.url);
    assert_eq!(
        body(&on),
        json!({"author": {"type": "business"}, "type": "typing:start"})
    );
    let off = call(&c, "c1", json!({"type": "typing_off"}));
    assert_eq!(body(&off)["type"], "typing:stop");
}

#[test]
fn a_conversation_id_cannot_change_the_request_path() {
    let c = creds();
    let call = call(&c, "../../keys?x=1", json!({"type": "text", "text": "x"}));
    assert!(
        call.url
            .ends_with("/conversations/..%2F..%2Fkeys%3Fx%3D1/messages"),
        "{}",
        call.url
    );
}

#[test]
fn replies_sunshine_cannot_take_are_refused_with_codes_naming_the_rule() {
    let cases = [
        (
            json!({"type": "text", "text": "x".repeat(4097)}),
            "text_too_long",
        ),
        (json!({"type": "text", "text": " "}), "empty_text"),
        (
            json!({"type": "image", "image_id": "att_1"}),
            "invalid_content",
        ),
        (
            json!({"type": "image", "url": "https://x.test/a.png", "upload": true}),
            "invalid_content",
        ),
        (
            json!({"type": "image", "url": "ftp://x.test/a.png"}),
            "invalid_content",
        ),
        (
            json!({"type": "cards", "cards": [{"title": "t"}]}),
            "content_type_not_supported",
        ),
        (
            json!({"type": "handover_pass"}),
            "content_type_not_supported",
        ),
        (json!({"type": "video"}), "invalid_content"),
    ];
    for (content, code) in cases {
        assert_eq!(
            ZendeskSunshine.validate_reply(&content).unwrap_err().code,
            code,
            "{content}"
        );
    }
    assert!(ZendeskSunshine
        .validate_reply(&json!({"type": "text", "text": "x".repeat(4096)}))
        .is_ok());
}

#[test]
fn a_channel_missing_a_key_fails_the_reply_as_misconfigured() {
    let mut c = creds();
    c.remove("key_secret");
    let ctx = ReplyContext {
        credentials: &c,
        api_base: "https://api.smooch.io",
        recipient: "c1",
    };
    let err = ZendeskSunshine
        .next_reply_call(&ctx, &json!({"type": "text", "text": "x"}), &[])
        .unwrap_err();
    assert_eq!(err.code, "channel_misconfigured");
}

#[test]
fn answers_are_classified_with_sunshine_s_error_title_as_the_message() {
    let s = ZendeskSunshine;
    assert_eq!(
        s.interpret_reply(0, 201, br#"{"messages":[{"id":"m1"}]}"#),
        CallOutcome::Ok { value: None }
    );
    assert_eq!(
        s.interpret_reply(
            0,
            401,
            br#"{"errors":[{"code":"unauthorized","title":"Authorization is required"}]}"#
        ),
        CallOutcome::Permanent {
            code: "http_401".into(),
            message: "unauthorized: Authorization is required".into()
        }
    );
    assert!(matches!(
        s.interpret_reply(0, 404, b"<html>"),
        CallOutcome::Permanent { code, .. } if code == "http_404"
    ));
    for status in [429, 408, 500, 503] {
        assert!(
            matches!(s.interpret_reply(0, status, b""), CallOutcome::Retryable { code, .. } if code == format!("http_{status}")),
            "{status}"
        );
    }
}

#[test]
fn capabilities_announce_replies_and_the_default_base_is_the_us_region() {
    let caps = ZendeskSunshine.capabilities();
    assert!(caps.replies);
    assert_eq!(
        caps.content_types,
        ["text", "image", "typing_on", "typing_off"]
    );
    assert_eq!(ZendeskSunshine.default_api_base(), "https://api.smooch.io");
    assert_eq!(ZendeskSunshine.provider(), "zendesk_sunshine");
    assert_eq!(
        ZendeskSunshine.secret_fields(),
        ["key_secret", "webhook_secret"]
    );
}

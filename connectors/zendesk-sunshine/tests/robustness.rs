//! Normalization is total: whatever an authenticated request carries, the result is at least one
//! event and never a panic.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{EventType, NormalizedEvent};
use omnigate_zendesk_sunshine::ZendeskSunshine;
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&ZendeskSunshine, env!("CARGO_MANIFEST_DIR"))
}

/// Normalizes `body` as the gateway would after verification.
fn normalize_bytes(body: &[u8]) -> Vec<NormalizedEvent> {
    let events = kit().normalize(None, &[], body);
    assert!(!events.is_empty(), "a webhook always yields an event");
    events
}

#[test]
fn bodies_that_are_not_a_webhook_are_one_unrecognized_event() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"\"events\"",
        b"{\"events\": {}}",
        b"{\"events\": []}",
        b"{\"events\": [",
        b"\xff\xfe{}",
        deep.as_bytes(),
    ] {
        let events = normalize_bytes(body);
        assert_eq!(events.len(), 1, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(events[0].event_type, EventType::ProviderUnrecognized);
        assert_eq!(events[0].dedup_key, None);
    }
}

#[test]
fn wrong_types_in_every_field_never_panic() {
    let odd = [
        json!(null),
        json!(7),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
    ];
    for v in &odd {
        let events = vec![
            json!({"id": v, "type": "conversation:message", "payload": {"conversation": {"id": "c1"}, "message": {"author": {"type": "user"}, "content": {"type": "text", "text": v}}}}),
            json!({"id": "e1", "type": v, "payload": v}),
            json!({"id": "e2", "type": "conversation:message", "payload": {"conversation": {"id": v}, "message": v}}),
            json!({"id": "e3", "type": "conversation:message", "payload": {"conversation": {"id": "c1"}, "message": {"author": v, "content": {"type": "image", "mediaUrl": v}}}}),
            json!({"id": "e4", "type": "switchboard:passControl", "payload": {"conversation": {"id": "c1"}, "user": v}}),
            json!({"id": "e5", "type": "conversation:postback", "payload": {"conversation": {"id": "c1"}, "postback": v}}),
        ];
        let body = json!({"events": events}).to_string();
        assert_eq!(normalize_bytes(body.as_bytes()).len(), 6);
    }
}

#[test]
fn an_image_without_a_usable_url_is_unsupported_not_a_broken_image() {
    let body = json!({"events": [{"id": "e1", "type": "conversation:message", "payload": {
        "conversation": {"id": "c1"},
        "message": {"author": {"type": "user", "userId": "u1"}, "content": {"type": "image", "mediaUrl": "javascript:alert(1)"}}
    }}]});
    let e = &normalize_bytes(body.to_string().as_bytes())[0];
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert!(matches!(
        e.message.as_ref().map(|m| &m.content),
        Some(omnigate_connector_core::Content::Unsupported { provider_type }) if provider_type == "image"
    ));
}

#[test]
fn conversation_ids_with_control_characters_or_absurd_lengths_are_no_key() {
    for id in [json!("a\u{0}b"), json!("x".repeat(300)), json!("   ")] {
        let body = json!({"events": [{"id": "e1", "type": "conversation:create", "payload": {"conversation": {"id": id}}}]});
        let e = &normalize_bytes(body.to_string().as_bytes())[0];
        assert_eq!(e.event_type, EventType::ProviderUnrecognized);
        assert_eq!(e.conversation_ref, None);
    }
}

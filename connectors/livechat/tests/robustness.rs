//! Normalization is total: whatever an authenticated request carries, the result is at least one
//! event and never a panic; and the same message arriving through `incoming_chat` and
//! `incoming_event` has one de-duplication key.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{EventType, NormalizedEvent};
use omnigate_livechat::LiveChat;
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&LiveChat, env!("CARGO_MANIFEST_DIR"))
}

/// The events `events` are, checked for what every LiveChat event must hold.
fn no_secret(events: Vec<NormalizedEvent>) -> Vec<NormalizedEvent> {
    assert!(!events.is_empty(), "a webhook always yields an event");
    for e in &events {
        assert!(
            !e.provider_event.detail.contains_key("secret_key"),
            "the webhook secret is never copied into an event"
        );
    }
    events
}

/// Normalizes `body` as the gateway would after verification.
fn normalize_bytes(body: &[u8]) -> Vec<NormalizedEvent> {
    no_secret(kit().normalize(None, &[], body))
}

#[test]
fn bodies_that_are_not_a_webhook_are_one_unrecognized_event() {
    let deep = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"{\"action\": \"incoming_event\"}",
        b"{\"action\": 7, \"payload\": {}}",
        b"{\"action\": \"incoming_event\", \"payload\": [",
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
        json!(false),
    ];
    for v in &odd {
        for payload in [
            json!({"chat_id": v, "event": v}),
            json!({"chat_id": "C1", "event": {"type": v, "text": v, "author_id": v, "id": v}}),
            json!({"chat_id": "C1", "event": {"type": "file", "url": v, "content_type": v, "author_id": "a@b.c"}}),
            json!({"chat": {"id": "C1", "users": v, "thread": {"id": v, "events": v}}}),
            json!({"chat": {"id": "C1", "users": [v], "thread": {"events": [v, {"type": "message", "text": "hi", "author_id": v}]}}}),
            json!({"chat": v}),
            json!({"chat_id": "C1", "thread_id": v, "user_id": v}),
        ] {
            for action in ["incoming_event", "incoming_chat", "chat_deactivated"] {
                let body = json!({"secret_key": "s", "action": action, "payload": payload});
                assert!(!normalize_bytes(body.to_string().as_bytes()).is_empty());
            }
        }
    }
}

#[test]
fn a_first_message_and_its_incoming_event_share_one_dedup_key() {
    let message = json!({"id": "T1_2", "type": "message", "text": "hello", "author_id": "3f2e1d0c-1a2b-4c3d-8e9f-001122334455"});
    let chat = json!({"action": "incoming_chat", "payload": {"chat": {
        "id": "C1", "users": [{"id": "3f2e1d0c-1a2b-4c3d-8e9f-001122334455", "type": "customer"}],
        "thread": {"id": "T1", "events": [message]}}}});
    let event = json!({"action": "incoming_event", "payload": {"chat_id": "C1", "thread_id": "T1", "event": message}});
    let from_chat = normalize_bytes(chat.to_string().as_bytes());
    let from_event = normalize_bytes(event.to_string().as_bytes());
    assert_eq!(from_chat[1].dedup_key, from_event[0].dedup_key);
    assert_eq!(from_event[0].dedup_key.as_deref(), Some("event:C1:T1_2"));
}

#[test]
fn a_first_message_by_an_unknown_author_is_unrecognized_in_place() {
    let chat = json!({"action": "incoming_chat", "payload": {"chat": {
        "id": "C1", "users": [],
        "thread": {"id": "T1", "events": [{"id": "T1_1", "type": "message", "text": "?", "author_id": "someone"}]}}}});
    let events = normalize_bytes(chat.to_string().as_bytes());
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].event_type, EventType::ProviderUnrecognized);
    assert_eq!(events[1].conversation_ref.as_deref(), Some("C1"));
    assert_eq!(events[1].dedup_key.as_deref(), Some("event:C1:T1_1"));
}

#[test]
fn a_declared_author_type_decides_when_the_id_says_nothing() {
    let body = |t: &str| {
        json!({"action": "incoming_event", "payload": {"chat_id": "C1", "event": {
            "id": "E1", "type": "message", "text": "hi", "author_id": "custom-id-1", "author_type": t}}})
        .to_string()
    };
    assert_eq!(
        normalize_bytes(body("customer").as_bytes())[0].event_type,
        EventType::MessageReceived
    );
    assert_eq!(
        normalize_bytes(body("agent").as_bytes())[0].event_type,
        EventType::MessageEcho
    );
}

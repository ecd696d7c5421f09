//! Crisp hooks normalized from fixture files written in the documented shapes: the visitor's
//! messages, the operators' own, sessions opening and closing, profile fields, and events of
//! other websites.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Content, Direction, EventType};
use omnigate_crisp::Crisp;
use serde_json::json;

const SESSION: &str = "session_0f9e7b52-3c1a-4d8e-b6f2-91a4c7e5d203";

fn kit() -> Kit<'static> {
    Kit::new(&Crisp, env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_visitors_message_is_received_on_the_sessions_conversation() {
    let e = kit().single("message-send-text.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(SESSION));
    let m = e.message.as_ref().expect("a message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.id.as_deref(), Some("179517000123456"));
    assert_eq!(
        m.content,
        Content::Text {
            text: "Bonjour, is the blue jacket back in stock?".into()
        }
    );
    let contact = e.contact.expect("the visitor");
    assert_eq!(contact.provider_ref.as_deref(), Some(SESSION));
    assert_eq!(contact.name.as_deref(), Some("Lucas Moreau"));
    assert_eq!(e.provider_event.kind, "message:send");
    assert_eq!(e.provider_event.detail["origin"], "chat");
    assert_eq!(
        e.dedup_key.as_deref(),
        Some(format!("message:send:{SESSION}:179517000123456").as_str())
    );
}

#[test]
fn an_operators_message_is_an_echo_and_never_a_visitor_message() {
    let e = kit().single("message-received-text.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    let m = e.message.as_ref().expect("the operator's message");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    let contact = e.contact.expect("the visitor");
    assert_eq!(contact.name, None, "the operator is not the contact");
    assert_eq!(
        e.provider_event.detail["operator"]["nickname"],
        "Aiko (Support)"
    );
    let spoofed = json!({"event": "message:send", "data": {"session_id": SESSION,
        "type": "text", "content": "hi", "from": "operator"}})
    .to_string();
    assert_eq!(
        kit().receive_one(None, spoofed.as_bytes()).event_type,
        EventType::MessageEcho,
        "a message from an operator is never the visitor's"
    );
}

#[test]
fn a_private_note_is_kept_but_is_no_message() {
    let e = kit().single("message-received-note.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.message, None);
    assert_eq!(e.conversation_ref.as_deref(), Some(SESSION));
}

#[test]
fn an_image_file_arrives_as_an_image_with_the_file_kept_in_detail() {
    let e = kit().single("message-send-image.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(
        e.message.expect("a message").content,
        Content::Image {
            url: "https://image.crisp.chat/client/upload/receipt.png".into(),
            caption: None
        }
    );
    assert_eq!(e.provider_event.detail["content"]["name"], "receipt.png");
    let pdf = json!({"event": "message:send", "data": {"session_id": SESSION, "type": "file",
        "content": {"name": "a.pdf", "url": "https://x.test/a.pdf", "type": "application/pdf"}}})
    .to_string();
    assert_eq!(
        kit()
            .receive_one(None, pdf.as_bytes())
            .message
            .expect("a message")
            .content,
        Content::File {
            url: "https://x.test/a.pdf".into(),
            name: Some("a.pdf".into())
        }
    );
}

#[test]
fn sessions_open_close_and_reopen() {
    let cases = [
        (
            "session-request-initiated.json",
            EventType::ConversationOpened,
        ),
        (
            "session-set-state-resolved.json",
            EventType::ConversationClosed,
        ),
        (
            "session-set-state-unresolved.json",
            EventType::ConversationOpened,
        ),
        ("session-removed.json", EventType::ConversationClosed),
    ];
    for (name, expected) in cases {
        let e = kit().single(name);
        assert_eq!(e.event_type, expected, "{name}");
        assert_eq!(e.conversation_ref.as_deref(), Some(SESSION), "{name}");
        assert_eq!(e.message, None, "{name}");
        assert_eq!(
            e.dedup_key, None,
            "{name}: Crisp gives session events no id"
        );
    }
    assert_eq!(
        kit()
            .single("session-set-state-resolved.json")
            .provider_event
            .detail["state"],
        "resolved"
    );
    assert_eq!(
        kit().single("session-removed.json").provider_event.detail["removed"],
        true
    );
}

#[test]
fn an_email_the_visitor_gave_updates_the_contact() {
    let e = kit().single("session-set-email.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    let c = e.contact.expect("the visitor");
    assert_eq!(c.email.as_deref(), Some("lucas.moreau@example.fr"));
    assert_eq!(c.provider_ref.as_deref(), Some(SESSION));
}

#[test]
fn an_event_of_another_website_opens_no_conversation_here() {
    let e = kit().single("message-send-other-website.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.conversation_ref, None);
    assert_eq!(e.message, None);
    assert!(e.provider_event.detail["reason"]
        .as_str()
        .unwrap()
        .contains("d2b0f7a1-6c3e-4b59-8f14-a7e9c2d05b38"));
}

#[test]
fn unreadable_or_unknown_hooks_become_unrecognized_and_never_panic() {
    let bodies = [
        String::new(),
        "nope".into(),
        "[]".into(),
        "{}".into(),
        json!({"event": "message:send"}).to_string(),
        json!({"event": "message:send", "data": {"session_id": "../admin", "type": "text", "content": "x"}}).to_string(),
        json!({"event": "session:set_state", "data": {"session_id": SESSION, "state": "weird"}}).to_string(),
        json!({"event": "session:set_email", "data": {"session_id": SESSION}}).to_string(),
        json!({"event": "people:profile:created", "data": {}}).to_string(),
    ];
    for body in bodies {
        let e = kit().receive_one(None, body.as_bytes());
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{body}");
    }
    let odd_text = json!({"event": "message:send", "data": {"session_id": SESSION,
        "type": "text", "content": 7}})
    .to_string();
    assert_eq!(
        kit()
            .receive_one(None, odd_text.as_bytes())
            .message
            .expect("a message")
            .content,
        Content::Unsupported {
            provider_type: "text".into()
        },
        "a visitor's message is kept even when its content cannot be read"
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        kit().receive_one(None, deep.as_bytes()).event_type,
        EventType::ProviderUnrecognized
    );
}

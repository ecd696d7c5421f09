//! Chatwoot webhooks normalized from fixture files written in the documented shapes: visitor
//! messages, the business side's own messages, conversation lifecycle, contacts, and what has
//! no mapping.

use omnigate_chatwoot::{Chatwoot, EXAMPLE_DELIVERY as DELIVERY};
use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&Chatwoot, env!("CARGO_MANIFEST_DIR"))
}

fn text_of(e: &NormalizedEvent) -> Option<&str> {
    match &e.message.as_ref()?.content {
        Content::Text { text } => Some(text),
        _ => None,
    }
}

#[test]
fn an_incoming_public_message_is_the_visitors_message_on_its_conversation() {
    let e = kit().single("message-incoming.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some("42"));
    let m = e.message.as_ref().expect("a message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.id.as_deref(), Some("5012"));
    assert_eq!(m.origin, None);
    assert_eq!(text_of(&e), Some("Hi, my parcel has not arrived yet"));
    let contact = e.contact.expect("the visitor");
    assert_eq!(contact.provider_ref.as_deref(), Some("31"));
    assert_eq!(contact.name.as_deref(), Some("Mina Park"));
    assert_eq!(contact.email.as_deref(), Some("mina.park@example.com"));
    assert_eq!(contact.phone.as_deref(), Some("+821012345678"));
    assert_eq!(e.provider_event.kind, "message_created");
    assert_eq!(e.provider_event.id.as_deref(), Some(DELIVERY));
    assert_eq!(
        e.provider_event.detail["inbox"]["name"],
        "Northwind website"
    );
    assert_eq!(e.provider_event.detail["message_type"], "incoming");
    assert_eq!(e.dedup_key.as_deref(), Some(DELIVERY));
}

#[test]
fn an_agents_reply_is_an_echo_from_the_provider_and_never_a_visitor_message() {
    let e = kit().single("message-outgoing.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    let m = e.message.as_ref().expect("the reply");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    assert_eq!(
        text_of(&e),
        Some("Sorry about that! Let me check the tracking number.")
    );
    assert_eq!(
        e.contact.and_then(|c| c.provider_ref).as_deref(),
        Some("31"),
        "the contact is still the visitor, not the agent"
    );
    assert_eq!(e.provider_event.detail["sender"]["name"], "Jonas (Support)");
}

#[test]
fn a_bot_template_message_is_an_echo_too() {
    let body = json!({"event": "message_created", "id": 9, "message_type": "template",
                      "private": false, "content": "Get notified by email",
                      "content_type": "input_email", "conversation": {"id": 42}})
    .to_string();
    let e = kit().normalize(None, &[], body.as_bytes()).remove(0);
    assert_eq!(e.event_type, EventType::MessageEcho);
    assert_eq!(e.message.expect("a message").direction, Direction::Outbound);
}

#[test]
fn private_notes_and_activity_lines_are_kept_but_are_never_messages() {
    for name in ["message-private-note.json", "message-activity.json"] {
        let e = kit().single(name);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{name}");
        assert_eq!(e.message, None, "{name}");
        assert_eq!(e.conversation_ref.as_deref(), Some("42"), "{name}");
        assert_eq!(e.dedup_key.as_deref(), Some(DELIVERY), "{name}");
    }
    let incoming_without_flag = json!({"event": "message_created", "message_type": "incoming",
                                        "content": "hi", "conversation": {"id": 42}})
    .to_string();
    let e = kit()
        .normalize(None, &[], incoming_without_flag.as_bytes())
        .remove(0);
    assert_eq!(
        e.event_type,
        EventType::ProviderUnrecognized,
        "visibility is never assumed"
    );
}

#[test]
fn an_image_without_text_arrives_as_an_image() {
    let e = kit().single("message-incoming-image.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(
        e.message.expect("a message").content,
        Content::Image {
            url: "https://chat.northwind.example/rails/active_storage/blobs/redirect/parcel.jpg"
                .into(),
            caption: None
        }
    );
    assert_eq!(
        e.provider_event.detail["attachments"][0]["file_size"],
        48213
    );
}

#[test]
fn conversations_open_and_close_with_their_status_changes() {
    let cases = [
        ("conversation-created.json", EventType::ConversationOpened),
        (
            "conversation-opened-bot.json",
            EventType::ConversationOpened,
        ),
        (
            "conversation-status-open.json",
            EventType::ConversationOpened,
        ),
        (
            "conversation-status-resolved.json",
            EventType::ConversationClosed,
        ),
        (
            "conversation-resolved-bot.json",
            EventType::ConversationClosed,
        ),
    ];
    for (name, expected) in cases {
        let e = kit().single(name);
        assert_eq!(e.event_type, expected, "{name}");
        assert_eq!(e.conversation_ref.as_deref(), Some("42"), "{name}");
        assert_eq!(
            e.contact.and_then(|c| c.email).as_deref(),
            Some("mina.park@example.com"),
            "{name}"
        );
        assert_eq!(e.message, None);
    }
    let resolved = kit().single("conversation-status-resolved.json");
    assert_eq!(resolved.provider_event.detail["previous_status"], "open");
    assert_eq!(
        resolved.provider_event.detail["assignee"]["name"],
        "Jonas (Support)"
    );
    let reopened = kit().single("conversation-status-open.json");
    assert_eq!(
        reopened.provider_event.detail["previous_status"],
        "resolved"
    );
}

#[test]
fn a_snoozed_conversation_has_no_event_type_but_stays_on_its_conversation() {
    let e = kit().single("conversation-status-snoozed.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.conversation_ref.as_deref(), Some("42"));
    assert!(e.provider_event.detail["reason"]
        .as_str()
        .unwrap()
        .contains("snoozed"));
}

#[test]
fn a_contact_update_fills_the_contact_and_belongs_to_no_conversation() {
    let e = kit().single("contact-updated.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    assert_eq!(e.conversation_ref, None);
    let c = e.contact.expect("the contact");
    assert_eq!(c.provider_ref.as_deref(), Some("31"));
    assert_eq!(c.phone.as_deref(), Some("+821012345678"));
    assert_eq!(e.provider_event.detail["custom_attributes"]["plan"], "gold");
    assert_eq!(e.provider_event.detail["identifier"], "cust-8841");
}

#[test]
fn the_widget_being_opened_is_kept_with_its_visitor() {
    let e = kit().single("webwidget-triggered.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.provider_event.kind, "webwidget_triggered");
    assert_eq!(e.conversation_ref, None, "no conversation exists yet");
    assert_eq!(
        e.contact.and_then(|c| c.provider_ref).as_deref(),
        Some("31")
    );
}

#[test]
fn unreadable_bodies_become_unrecognized_and_never_panic() {
    let bodies: [&[u8]; 8] = [
        b"",
        b"not json",
        b"[1,2]",
        b"{}",
        br#"{"event": 5}"#,
        br#"{"event": "message_created"}"#,
        br#"{"event": "message_created", "conversation": {"id": "42; drop"}, "message_type": "incoming", "private": false}"#,
        br#"{"event": "conversation_status_changed", "id": 42}"#,
    ];
    for body in bodies {
        let events = kit().normalize(None, &[], body);
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].event_type,
            EventType::ProviderUnrecognized,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        kit().normalize(None, &[], deep.as_bytes())[0].event_type,
        EventType::ProviderUnrecognized
    );
}

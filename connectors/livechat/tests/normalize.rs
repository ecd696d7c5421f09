//! LiveChat webhooks normalized from fixture files written in the documented v3.6 shapes (and
//! the older `license_id` / `recipients` / `last_visit` shape): chat starts with their first
//! messages, customer and agent/bot events, files, internal notes, chat ends.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use omnigate_livechat::LiveChat;
use serde_json::json;

/// The chat most fixtures are about, and its customer and agent.
const CHAT: &str = "RZ4M2XK7QP";
const CUSTOMER: &str = "b3d7e2f1-4c5a-4e8b-9f01-2a3b4c5d6e7f";
const AGENT: &str = "ana.silva@shop.example.com";

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

/// The events a fixture becomes, received with the channel's secret in its body.
fn fixture(name: &str) -> Vec<NormalizedEvent> {
    no_secret(kit().fixture(name))
}

/// The only event of a one-event fixture.
fn single(name: &str) -> NormalizedEvent {
    let mut events = fixture(name);
    assert_eq!(events.len(), 1, "{name} yields one event");
    events.remove(0)
}

#[test]
fn an_incoming_chat_opens_the_conversation_then_brings_its_first_messages_in_order() {
    let events = fixture("incoming-chat.json");
    let types: Vec<EventType> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            EventType::ConversationOpened,
            EventType::MessageReceived,
            EventType::MessageEcho
        ],
        "the pre-chat form is no message"
    );
    assert!(events
        .iter()
        .all(|e| e.conversation_ref.as_deref() == Some(CHAT)));
    assert!(events
        .iter()
        .all(|e| e.provider_event.kind == "incoming_chat"));

    let opened = &events[0];
    let c = opened.contact.as_ref().expect("the customer");
    assert_eq!(c.provider_ref.as_deref(), Some(CUSTOMER));
    assert_eq!(c.name.as_deref(), Some("Lucía Gómez"));
    assert_eq!(c.email.as_deref(), Some("lucia.gomez@example.com"));
    assert_eq!(opened.provider_event.id.as_deref(), Some("RZ4M2XK7QT"));
    assert_eq!(
        opened.dedup_key.as_deref(),
        Some("incoming_chat:RZ4M2XK7QP:RZ4M2XK7QT")
    );
    let d = detail(opened);
    assert_eq!(d["thread_id"], "RZ4M2XK7QT");
    assert_eq!(
        d["agents"],
        json!([{"id": AGENT, "name": "Ana Silva", "type": "agent"}])
    );
    assert_eq!(d["visit"]["geolocation"]["city"], "Valencia");
    assert_eq!(d["webhook_id"], "c2a4e6f8a0b2c4d6e8f0a2b4c6d8e0f2");
    assert_eq!(d["organization_id"], "5f2d8a61-0b7c-4e39-a1d4-6c8e2b9f7a30");

    let first = &events[1];
    assert_eq!(
        first.message.as_ref().map(|m| &m.content),
        Some(&Content::Text {
            text: "Hi! How do I return a pair of shoes?".into()
        })
    );
    assert_eq!(
        first.contact.as_ref().and_then(|c| c.name.as_deref()),
        Some("Lucía Gómez"),
        "the first message knows the customer as well as the chat start does"
    );
    assert_eq!(
        first.dedup_key.as_deref(),
        Some("event:RZ4M2XK7QP:RZ4M2XK7QT_2")
    );

    let welcome = &events[2];
    let m = welcome.message.as_ref().expect("the welcome message");
    assert_eq!(
        (m.direction, m.origin.as_deref()),
        (Direction::Outbound, Some("provider"))
    );
    assert_eq!(detail(welcome)["sent_by"], "agent");
}

#[test]
fn an_older_incoming_chat_takes_the_name_from_the_pre_chat_form() {
    let events = fixture("incoming-chat-legacy.json");
    assert_eq!(events.len(), 1, "no messages in this thread");
    let opened = &events[0];
    assert_eq!(opened.event_type, EventType::ConversationOpened);
    assert_eq!(opened.conversation_ref.as_deref(), Some("QW8N3VB5LM"));
    let c = opened.contact.as_ref().expect("the customer");
    assert_eq!(
        c.provider_ref.as_deref(),
        Some("7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d")
    );
    assert_eq!(c.name.as_deref(), Some("Piotr"));
    assert_eq!(c.email, None, "a blank form answer is no e-mail");
    let d = detail(opened);
    assert_eq!(d["license_id"], 11223344);
    assert_eq!(d["visit"]["geolocation"]["city"], "Wroclaw");
}

#[test]
fn a_customer_message_is_received_and_keyed_by_its_event_id() {
    let e = single("incoming-event-customer-text.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CHAT));
    let m = e.message.as_ref().expect("a message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.id.as_deref(), Some("RZ4M2XK7QT_4"));
    assert_eq!(
        m.content,
        Content::Text {
            text: "They are the wrong size.".into()
        }
    );
    assert_eq!(
        e.contact.as_ref().and_then(|c| c.provider_ref.as_deref()),
        Some(CUSTOMER)
    );
    assert_eq!(e.provider_event.kind, "incoming_event");
    assert_eq!(e.provider_event.id.as_deref(), Some("RZ4M2XK7QT_4"));
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("event:RZ4M2XK7QP:RZ4M2XK7QT_4")
    );
    let d = detail(&e);
    assert_eq!(d["sent_by"], "customer");
    assert_eq!(d["thread_id"], "RZ4M2XK7QT");
    assert_eq!(d["custom_id"], "k3j9x2");
}

#[test]
fn agent_and_bot_messages_are_echoes_never_received() {
    for (name, by) in [
        ("incoming-event-agent-text.json", "agent"),
        ("incoming-event-bot-text.json", "bot"),
    ] {
        let e = single(name);
        assert_eq!(e.event_type, EventType::MessageEcho, "{name}");
        let m = e.message.as_ref().expect("a message");
        assert_eq!(
            (m.direction, m.origin.as_deref()),
            (Direction::Outbound, Some("provider"))
        );
        assert_eq!(e.contact, None, "{name}: the sender is not the contact");
        assert_eq!(detail(&e)["sent_by"], by);
    }
    let note = single("incoming-event-agent-internal-note.json");
    assert_eq!(note.event_type, EventType::MessageEcho);
    assert_eq!(detail(&note)["internal"], true, "the customer never saw it");
    assert_eq!(detail(&note)["visibility"], "agents");
}

#[test]
fn files_become_image_or_file_content_by_their_content_type() {
    let img = single("incoming-event-customer-image.json");
    assert_eq!(img.event_type, EventType::MessageReceived);
    assert_eq!(
        img.message.as_ref().map(|m| &m.content),
        Some(&Content::Image {
            url: "https://cdn.files-text.com/api/file/lc/att/11223344/shoe-label.png".into(),
            caption: Some("The size label inside the shoe".into())
        })
    );
    assert_eq!(detail(&img)["width"], 800);
    let pdf = single("incoming-event-customer-file.json");
    assert_eq!(
        pdf.message.as_ref().map(|m| &m.content),
        Some(&Content::File {
            url: "https://cdn.files-text.com/api/file/lc/att/11223344/invoice-2026-118.pdf".into(),
            name: Some("invoice-2026-118.pdf".into())
        })
    );
}

#[test]
fn a_deactivated_chat_is_closed_saying_who_closed_it() {
    let by_agent = single("chat-deactivated-by-agent.json");
    assert_eq!(by_agent.event_type, EventType::ConversationClosed);
    assert_eq!(by_agent.conversation_ref.as_deref(), Some(CHAT));
    assert_eq!(detail(&by_agent)["closed_by"], "agent");
    assert_eq!(detail(&by_agent)["user_id"], AGENT);
    assert_eq!(
        by_agent.dedup_key.as_deref(),
        Some("chat_deactivated:RZ4M2XK7QP:RZ4M2XK7QT")
    );
    let by_router = single("chat-deactivated-by-router.json");
    assert_eq!(detail(&by_router)["closed_by"], "system");
    assert_eq!(by_router.conversation_ref.as_deref(), Some("QW8N3VB5LM"));
}

#[test]
fn other_events_actions_and_unknown_authors_are_unrecognized_on_their_chat() {
    for (name, kind, reason) in [
        (
            "incoming-event-system-message.json",
            "incoming_event",
            "not a message",
        ),
        (
            "incoming-event-unknown-author.json",
            "incoming_event",
            "cannot tell",
        ),
        ("thread-tagged.json", "thread_tagged", "no mapping"),
    ] {
        let e = single(name);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{name}");
        assert_eq!(e.provider_event.kind, kind);
        assert_eq!(e.conversation_ref.as_deref(), Some(CHAT), "{name}");
        let why = detail(&e)["reason"].as_str().unwrap_or("").to_string();
        assert!(why.contains(reason), "{name}: {why}");
        assert!(detail(&e)["webhook_id"].is_string());
    }
}

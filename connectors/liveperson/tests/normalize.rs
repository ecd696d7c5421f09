//! LivePerson notifications onto the event model: each change one event, consumer messages in,
//! brand-side messages as echoes, the conversation's state as opened / handover / closed, and
//! everything else kept as `provider.unrecognized`; each de-duplicated by LivePerson's ids.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use omnigate_liveperson::LivePerson;

const CONV: &str = "7c1e5a90-3d2b-4f6e-9a81-0b5c2d4e6f70";
const CONSUMER: &str = "c0f3e2d1b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f30211f2e3d4c5b6a7980";

fn events(name: &str) -> Vec<NormalizedEvent> {
    Kit::new(&LivePerson, env!("CARGO_MANIFEST_DIR")).fixture(name)
}

fn single(name: &str) -> NormalizedEvent {
    Kit::new(&LivePerson, env!("CARGO_MANIFEST_DIR")).single(name)
}

#[test]
fn a_consumer_message_is_received_with_the_consumer_as_contact() {
    let e = single("consumer-text.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONV));
    assert_eq!(e.contact.unwrap().provider_ref.as_deref(), Some(CONSUMER));
    let m = e.message.unwrap();
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.content,
        Content::Text {
            text: "Is my order 4471 shipped yet?".into()
        }
    );
    assert_eq!(e.dedup_key.as_deref(), Some(format!("{CONV}:3").as_str()));
}

#[test]
fn the_older_shape_without_a_conversation_id_is_keyed_by_the_dialog() {
    let e = single("consumer-text-without-conversation-id.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONV));
    assert_eq!(detail(&e).get("messageAudience"), None);
}

#[test]
fn an_agents_message_is_an_echo_and_a_note_for_agents_is_never_a_message() {
    let e = single("agent-text.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    let m = e.message.unwrap();
    assert_eq!(
        (m.direction, m.origin.as_deref()),
        (Direction::Outbound, Some("provider"))
    );
    assert_eq!(
        m.content,
        Content::Text {
            text: "It left the warehouse this morning.".into()
        }
    );
    assert_eq!(e.contact, None, "the agent is not the contact");
    let note = single("agents-only-note.json");
    assert_eq!(note.event_type, EventType::ProviderUnrecognized);
    assert!(note.message.is_none());
}

#[test]
fn a_batch_becomes_one_event_per_change_each_with_its_own_key() {
    let got = events("batch-consumer-agent-typing.json");
    let types: Vec<EventType> = got.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            EventType::MessageReceived,
            EventType::MessageEcho,
            EventType::ProviderUnrecognized
        ]
    );
    let keys: Vec<Option<String>> = got.iter().map(|e| e.dedup_key.clone()).collect();
    assert_eq!(
        keys,
        [
            Some(format!("{CONV}:5")),
            Some(format!("{CONV}:6")),
            Some(format!("{CONV}:7"))
        ]
    );
    assert!(got
        .iter()
        .all(|e| e.conversation_ref.as_deref() == Some(CONV)));
}

#[test]
fn the_conversations_state_is_opened_handed_over_or_closed() {
    let opened = single("conversation-created.json");
    assert_eq!(opened.event_type, EventType::ConversationOpened);
    assert_eq!(
        opened.contact.clone().unwrap().provider_ref.as_deref(),
        Some(CONSUMER)
    );
    let assigned = single("agent-assigned.json");
    assert_eq!(assigned.event_type, EventType::ConversationHandover);
    assert_eq!(
        detail(&assigned)["assigned_agent"],
        "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
    );
    let closed = single("conversation-closed.json");
    assert_eq!(closed.event_type, EventType::ConversationClosed);
    assert_eq!(detail(&closed)["closeReason"], "AGENT");
    assert_ne!(opened.dedup_key, assigned.dedup_key);
    assert_ne!(assigned.dedup_key, closed.dedup_key);
}

#[test]
fn unknown_notifications_and_unreadable_bodies_are_unrecognized() {
    let e = single("unknown-notification.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    let kit = Kit::new(&LivePerson, env!("CARGO_MANIFEST_DIR"));
    for body in [
        &b"nope"[..],
        b"[]",
        b"{}",
        br#"{"type":"ms.MessagingEventNotification","body":{"changes":[1]}}"#,
    ] {
        let got = kit.normalize(None, &[], body);
        assert_eq!(got.len(), 1, "{body:?}");
        assert_eq!(got[0].event_type, EventType::ProviderUnrecognized);
    }
}

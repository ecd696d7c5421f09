//! Tidio topics onto the event model: contacts, operator replies as echoes, solved
//! conversations, and everything else kept as `provider.unrecognized`, each keyed by its
//! `webhook_id`.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use omnigate_tidio::Tidio;
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&Tidio, env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> NormalizedEvent {
    kit().single(name)
}

fn normalize_bytes(body: &[u8]) -> NormalizedEvent {
    let mut events = kit().normalize(None, &[], body);
    assert_eq!(events.len(), 1, "one Tidio webhook is one event");
    events.remove(0)
}

const CONTACT: &str = "147ae37d-43bc-42a6-bc7b-c10d1525a2f7";

#[test]
fn a_new_contact_is_a_contact_update_with_its_details() {
    let e = fixture("contact-created.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONTACT));
    let c = e.contact.unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some(CONTACT));
    assert_eq!(c.name.as_deref(), Some("Inês Duarte"));
    assert_eq!(c.email.as_deref(), Some("ines.duarte@example.pt"));
    assert_eq!(c.phone.as_deref(), Some("+351 912 345 678"));
    assert_eq!(e.provider_event.kind, "contact.created");
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("7307ac4d-2c74-4d32-b7f9-f7d037ed2ebb")
    );
    assert_eq!(
        e.provider_event.detail["distinct_id"],
        "shop-customer-88412"
    );
    assert_eq!(e.provider_event.detail["properties"][0]["value"], "38 (EU)");
}

#[test]
fn a_contact_with_only_a_first_name_keeps_what_it_has() {
    let c = fixture("contact-updated-minimal.json").contact.unwrap();
    assert_eq!(c.name.as_deref(), Some("Inês"));
    assert_eq!((c.email, c.phone), (None, None));
}

#[test]
fn an_operator_reply_is_an_echo_never_a_visitor_message() {
    let e = fixture("conversation-operator-replied.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONTACT));
    let m = e.message.unwrap();
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    assert_eq!(m.id.as_deref(), Some("msg-90211"));
    assert_eq!(
        m.content,
        Content::Text {
            text: "Your order ships tomorrow.".into()
        }
    );
    assert_eq!(e.provider_event.detail["operator_id"], "op-5521");
}

#[test]
fn a_solved_conversation_is_closed_on_the_contacts_conversation() {
    let e = fixture("conversation-solved-by-operator.json");
    assert_eq!(e.event_type, EventType::ConversationClosed);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONTACT));
    assert_eq!(
        e.contact.unwrap().email.as_deref(),
        Some("ines.duarte@example.pt")
    );
    assert_eq!(e.provider_event.detail["automatic"], false);
}

#[test]
fn tickets_unknown_topics_and_bodies_without_ids_are_unrecognized_but_kept_once() {
    for name in ["ticket-contact-replied.json", "unknown-topic.json"] {
        let e = fixture(name);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{name}");
        assert!(
            e.dedup_key.is_some(),
            "{name}: a retry is still stored once"
        );
        assert!(e.message.is_none());
    }
    let no_contact = json!({"topic": "conversation.operator_replied", "webhook_id": "w-1",
                            "content": {"message": "hi"}});
    let e = normalize_bytes(no_contact.to_string().as_bytes());
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    for body in [&b"not json"[..], b"[1,2]", b"{}"] {
        let e = normalize_bytes(body);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized);
        assert_eq!(e.dedup_key, None);
    }
}

#[test]
fn the_same_delivery_twice_has_the_same_key_and_another_delivery_another() {
    let a = fixture("contact-created.json");
    let b = fixture("contact-created.json");
    let c = fixture("contact-updated-minimal.json");
    assert_eq!(a.dedup_key, b.dedup_key);
    assert_ne!(a.dedup_key, c.dedup_key);
}

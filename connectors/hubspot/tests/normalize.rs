//! HubSpot batches onto the event model: one event per item, each keyed by `eventId`; thin
//! new-message events forwarded with their ids, never as a visitor message.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{EventType, NormalizedEvent};
use omnigate_hubspot::HubSpot;

const THREAD: &str = "7412055081";

fn events(name: &str) -> Vec<NormalizedEvent> {
    Kit::new(&HubSpot, env!("CARGO_MANIFEST_DIR")).fixture(name)
}

#[test]
fn a_new_thread_is_an_opened_conversation() {
    let e = &events("creation.json")[0];
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(e.conversation_ref.as_deref(), Some(THREAD));
    assert_eq!(e.dedup_key.as_deref(), Some("4100000001"));
}

#[test]
fn a_new_message_is_forwarded_thin_with_its_ids_never_as_a_visitor_message() {
    let e = &events("new-message.json")[0];
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert!(e.message.is_none());
    assert_eq!(e.conversation_ref.as_deref(), Some(THREAD));
    assert_eq!(detail(e)["thin"], true);
    assert_eq!(detail(e)["messageId"], "a61c0e4f2b9d4e7f8a1b2c3d4e5f6a7b");
    assert_eq!(e.dedup_key.as_deref(), Some("4100000002"));
}

#[test]
fn a_batch_is_one_event_per_item_in_order() {
    let got = events("batch-lifecycle.json");
    let types: Vec<EventType> = got.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            EventType::ConversationHandover,
            EventType::ProviderUnrecognized,
            EventType::ProviderUnrecognized,
            EventType::ConversationClosed
        ]
    );
    assert_eq!(detail(&got[0])["propertyValue"], "5190441");
    assert_eq!(detail(&got[2])["internal_note"], true);
    let keys: Vec<_> = got.iter().map(|e| e.dedup_key.clone().unwrap()).collect();
    assert_eq!(
        keys,
        ["4100000003", "4100000004", "4100000005", "4100000006"]
    );
}

#[test]
fn other_apps_unknown_changes_and_minimal_items_are_kept_as_they_can_be() {
    let other = &events("other-app.json")[0];
    assert_eq!(other.event_type, EventType::ProviderUnrecognized);
    assert_eq!(other.conversation_ref, None);
    for name in ["property-change-unknown.json", "unknown-subscription.json"] {
        assert_eq!(
            events(name)[0].event_type,
            EventType::ProviderUnrecognized,
            "{name}"
        );
    }
    let minimal = &events("minimal.json")[0];
    assert_eq!(minimal.event_type, EventType::ConversationClosed);
    assert_eq!(minimal.conversation_ref.as_deref(), Some(THREAD));
    let kit = Kit::new(&HubSpot, env!("CARGO_MANIFEST_DIR"));
    for body in [&b"nope"[..], b"[]", b"{}", b"[1]"] {
        let got = kit.normalize(None, &[], body);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event_type, EventType::ProviderUnrecognized);
    }
}

//! What Chatlio's docs leave open, written inline: offline messages without a sender, traits
//! that are not an encoded object, added fields and odd types, and bodies that cannot be read.
//! Normalize is total: each gives an event, never an error or a panic.

use omnigate_chatlio::Chatlio;
use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Connector, EventType};
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&Chatlio, env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn an_offline_message_is_one_whoever_left_it() {
    let nobody = kit().receive_one(Some("offline-message"), br#"{"message":"hi"}"#);
    assert_eq!(nobody.event_type, EventType::MessageOffline);
    assert_eq!(nobody.provider_event.kind, "offline-message");
    assert_eq!(nobody.contact, None, "nothing says who left it");
    assert!(
        nobody.message.is_some(),
        "the text still reaches the helpdesk"
    );

    let by_email = kit().receive_one(
        Some("offline-message"),
        br#"{"email":"x@example.com","message":"hi"}"#,
    );
    assert_eq!(by_email.event_type, EventType::MessageOffline);
    let contact = by_email.contact.expect("the sender");
    assert_eq!(contact.email.as_deref(), Some("x@example.com"));
    assert_eq!(contact.provider_ref, None);

    let silent = kit().receive_one(Some("offline-message"), br#"{"visitor":{"UUID":"v1"}}"#);
    assert_eq!(silent.event_type, EventType::MessageOffline);
    assert_eq!(silent.message, None, "no text, no message");
}

#[test]
fn a_visitor_name_that_is_only_the_channel_handle_is_no_name() {
    let e = kit().receive_one(
        Some("transcript"),
        br#"{"conversationUUID":"c1","channelName":"costa-mesa-us-133","visitorName":"costa-mesa-us-133","visitorEmail":"","messages":"n/a"}"#,
    );
    assert_eq!(e.event_type, EventType::ConversationTranscript);
    assert_eq!(e.contact, None);
    assert_eq!(e.provider_event.detail["messages"], json!([]));
}

#[test]
fn unreadable_bodies_are_unrecognized_never_an_error() {
    let deep = "[".repeat(100_000);
    for topic in Chatlio.topics() {
        for body in [
            &b"not json"[..],
            b"[1,2]",
            b"null",
            b"\"a string\"",
            b"",
            b"\xff\xfe",
            deep.as_bytes(),
        ] {
            let e = kit().receive_one(Some(topic), body);
            assert_eq!(
                e.event_type,
                EventType::ProviderUnrecognized,
                "{topic}: {}",
                String::from_utf8_lossy(&body[..body.len().min(40)])
            );
            assert_eq!(e.provider_event.kind, *topic);
        }
    }
    let body = kit().fixture_bytes("new-conversation.json");
    for topic in [None, Some("nope"), Some("")] {
        let e = kit().receive_one(topic, &body);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{topic:?}");
    }
}

#[test]
fn traits_that_are_not_an_encoded_object_are_kept_as_they_came() {
    for traits in ["{not json", "[1,2]", "42"] {
        let body =
            json!({"conversationUUID": "c1", "visitor": {"UUID": "v1", "identTraits": traits}});
        let e = kit().receive_one(Some("unanswered"), body.to_string().as_bytes());
        assert_eq!(e.event_type, EventType::ConversationUnanswered);
        assert_eq!(e.provider_event.detail["visitor"]["identTraits"], traits);
        assert_eq!(
            e.contact.and_then(|c| c.provider_ref).as_deref(),
            Some("v1")
        );
    }
}

#[test]
fn added_fields_and_odd_types_never_change_the_mapping() {
    let body = json!({
        "conversationUUID": 12345,
        "message": {"text": "a future shape"},
        "visitor": "not an object",
        "brandNew": {"x": [1]},
    });
    let e = kit().receive_one(Some("new-conversation"), body.to_string().as_bytes());
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(e.conversation_ref.as_deref(), Some("12345"));
    assert_eq!(e.message, None, "only a text becomes the message");
    assert_eq!(
        e.provider_event.detail["message"],
        json!({"text": "a future shape"})
    );
    assert_eq!(e.provider_event.detail["visitor"], "not an object");
    assert_eq!(e.provider_event.detail["brandNew"], json!({"x": [1]}));
    assert_eq!(e.contact, None);
}

//! Chatlio payloads without a `conversationUUID`, in the shape Adobe Experience Platform
//! documents for its Chatlio source: a visitor (`email`, `UUID`), a message and two Slack
//! channel ids. `aep-new-conversation.json` is AEP's sample as published; the other four
//! `aep-*.json` fixtures are that shape as it would arrive on each other topic's URL.

use omnigate_chatlio::Chatlio;
use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Connector, Content, Direction, EventType, NormalizedEvent};
use serde_json::{json, Value};

const VISITOR: &str = "2d3f4260-2235-903b-0a82-a23d326cc257";
const VISITOR_CONVERSATION: &str = "visitor:2d3f4260-2235-903b-0a82-a23d326cc257";

fn kit() -> Kit<'static> {
    Kit::new(&Chatlio, env!("CARGO_MANIFEST_DIR"))
}

fn aep(topic: &str) -> NormalizedEvent {
    kit().receive_one(
        Some(topic),
        &kit().fixture_bytes(&format!("aep-{topic}.json")),
    )
}

fn text_of(e: &NormalizedEvent) -> Option<&str> {
    match &e.message.as_ref()?.content {
        Content::Text { text } => Some(text),
        _ => None,
    }
}

/// What every AEP-shaped event keeps: the visitor as the contact, and the Slack channel ids
/// under Chatlio's names.
fn assert_visitor_and_channels(e: &NormalizedEvent, topic: &str) {
    assert_eq!(e.provider_event.kind, topic);
    assert_eq!(e.provider_event.id, None);
    assert_eq!(e.dedup_key, None);
    let contact = e.contact.clone().expect("the visitor");
    assert_eq!(contact.provider_ref.as_deref(), Some(VISITOR), "{topic}");
    assert_eq!(
        contact.email.as_deref(),
        Some("test@example.com"),
        "{topic}"
    );
    let detail = &e.provider_event.detail;
    assert_eq!(detail["channelId"], "C04J7M7LCMQ", "{topic}");
    assert_eq!(detail["slackChannelName"], "aep", "{topic}");
    assert_eq!(detail["slackChannelId"], "C04JVR71WKS", "{topic}");
    assert_eq!(detail["visitor"]["UUID"], VISITOR, "{topic}");
}

#[test]
fn each_conversation_webhook_without_a_conversation_uuid_is_its_topics_event_keyed_by_the_visitor()
{
    for (topic, event_type, text) in [
        ("new-conversation", EventType::ConversationOpened, "Hi"),
        (
            "unanswered",
            EventType::ConversationUnanswered,
            "Hello? Is anyone there?",
        ),
        (
            "feedback",
            EventType::FeedbackReceived,
            "Solved in five minutes, thank you!",
        ),
    ] {
        let e = aep(topic);
        assert_eq!(e.event_type, event_type, "{topic}");
        assert_eq!(
            e.conversation_ref.as_deref(),
            Some(VISITOR_CONVERSATION),
            "{topic}: the visitor's UUID, marked as such, keys the conversation"
        );
        assert_visitor_and_channels(&e, topic);
        let m = e.message.as_ref().expect("the visitor's message");
        assert_eq!(m.direction, Direction::Inbound);
        assert_eq!(text_of(&e), Some(text), "{topic}");
        assert!(!e.provider_event.detail.contains_key("message"), "{topic}");
    }
}

#[test]
fn a_transcript_without_a_conversation_uuid_is_a_transcript_on_the_visitors_conversation() {
    let e = aep("transcript");
    assert_eq!(e.event_type, EventType::ConversationTranscript);
    assert_eq!(e.conversation_ref.as_deref(), Some(VISITOR_CONVERSATION));
    assert_visitor_and_channels(&e, "transcript");
    assert_eq!(e.message, None, "a transcript's lines are no message");
    assert_eq!(e.provider_event.detail["messages"], json!([]));
    assert_eq!(
        e.provider_event.detail["message"], "Hi",
        "a field a transcript does not document stays in the detail"
    );
}

#[test]
fn an_offline_message_in_the_aep_shape_is_an_offline_message_outside_any_conversation() {
    let e = aep("offline-message");
    assert_eq!(e.event_type, EventType::MessageOffline);
    assert_eq!(e.conversation_ref, None);
    assert_visitor_and_channels(&e, "offline-message");
    assert_eq!(text_of(&e), Some("Please e-mail me your opening hours."));
}

#[test]
fn one_visitor_is_one_conversation_and_another_visitor_another() {
    let opened = aep("new-conversation");
    let feedback = aep("feedback");
    assert_eq!(opened.conversation_ref, feedback.conversation_ref);
    let mut other: Value = serde_json::from_slice(&kit().fixture_bytes("aep-unanswered.json"))
        .expect("the fixture is JSON");
    other["visitor"]["UUID"] = json!("0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1");
    let e = kit().receive_one(Some("unanswered"), other.to_string().as_bytes());
    assert_eq!(
        e.conversation_ref.as_deref(),
        Some("visitor:0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1"),
        "the same Slack channel ids do not merge two visitors"
    );
}

#[test]
fn a_conversation_uuid_when_present_still_keys_the_conversation() {
    let mut body: Value = serde_json::from_slice(&kit().fixture_bytes("aep-new-conversation.json"))
        .expect("the fixture is JSON");
    body["conversationUUID"] = json!("e3d1800d-2d9e-4966-4500-9ff986cfa197");
    let e = kit().receive_one(Some("new-conversation"), body.to_string().as_bytes());
    assert_eq!(
        e.conversation_ref.as_deref(),
        Some("e3d1800d-2d9e-4966-4500-9ff986cfa197")
    );
}

#[test]
fn any_json_object_is_its_topics_event_and_only_other_bodies_are_unrecognized() {
    for topic in Chatlio.topics() {
        for body in [
            &b"{}"[..],
            br#"{"conversationUUID":"","visitor":{}}"#,
            br#"{"conversationUUID":null,"visitor":{"UUID":""}}"#,
            br#"{"message":"hi","visitor":"not an object"}"#,
        ] {
            let e = kit().receive_one(Some(topic), body);
            assert_ne!(
                e.event_type,
                EventType::ProviderUnrecognized,
                "{topic}: {}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(e.provider_event.kind, *topic);
            assert_eq!(
                e.conversation_ref, None,
                "{topic}: no id to key a conversation by"
            );
        }
        for body in [&b"[1,2]"[..], b"null", b"\"a string\"", b"42", b"true"] {
            let e = kit().receive_one(Some(topic), body);
            assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{topic}");
            assert_eq!(e.provider_event.kind, *topic);
            assert_eq!(
                e.provider_event.detail["reason"], "the body is not a JSON object",
                "{topic}"
            );
        }
    }
}

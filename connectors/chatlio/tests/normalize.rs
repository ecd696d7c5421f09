//! The five Chatlio webhooks, normalized from fixture files written in the documented shapes:
//! traits as objects and as JSON-encoded strings, a transcript with surprising and missing
//! fields, and a truncated one.

use omnigate_chatlio::Chatlio;
use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Connector, Content, Direction, EventType, NormalizedEvent};
use serde_json::{json, Value};

fn kit() -> Kit<'static> {
    Kit::new(&Chatlio, env!("CARGO_MANIFEST_DIR"))
}

fn fixture(topic: &str, name: &str) -> NormalizedEvent {
    kit().receive_one(Some(topic), &kit().fixture_bytes(name))
}

fn text_of(e: &NormalizedEvent) -> Option<&str> {
    match &e.message.as_ref()?.content {
        Content::Text { text } => Some(text),
        _ => None,
    }
}

const VISITOR: &str = "7c1e9a52-4f0b-4e1d-8a6b-2f3c4d5e6f70";
const FIRST_CHAT: &str = "a41f0c3e-9d2b-4c55-7e10-b2a9c8d7e6f5";

#[test]
fn the_topics_are_the_five_chatlio_webhooks() {
    assert_eq!(
        Chatlio.topics(),
        [
            "transcript",
            "offline-message",
            "new-conversation",
            "unanswered",
            "feedback"
        ]
    );
    assert_eq!(Chatlio.provider(), "chatlio");
    assert!(
        Chatlio.secret_fields().is_empty(),
        "Chatlio needs no secret"
    );
}

#[test]
fn a_new_conversation_opens_the_conversation_with_the_visitors_first_message() {
    let e = fixture("new-conversation", "new-conversation.json");
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(e.conversation_ref.as_deref(), Some(FIRST_CHAT));
    let contact = e.contact.clone().expect("the visitor");
    assert_eq!(contact.provider_ref.as_deref(), Some(VISITOR));
    assert_eq!(
        (contact.name, contact.email),
        (None, None),
        "blank name and e-mail are no name and e-mail"
    );
    let m = e.message.as_ref().expect("the first message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(text_of(&e), Some("Do you ship to Canada?"));
    assert_eq!(e.provider_event.kind, "new-conversation");
    assert_eq!(e.provider_event.id, None);
    let visitor = &e.provider_event.detail["visitor"];
    assert_eq!(visitor["currentPage"], "https://shop.example.com/pricing");
    assert_eq!(
        visitor["referrerURL"],
        "https://www.example.org/review-of-shop"
    );
    assert_eq!(visitor["location"], "Portland, Oregon, United States");
    assert_eq!(visitor["handle"], "portland-oregon-us-12");
    assert_eq!(
        visitor["identTraits"],
        json!({}),
        "no traits is an empty object"
    );
    assert_eq!(e.provider_event.detail["slackChannelId"], "C07ASDFGH2");
    assert!(!e.provider_event.detail.contains_key("conversationUUID"));
    assert!(!e.provider_event.detail.contains_key("message"));
    assert_eq!(e.dedup_key, None, "Chatlio assigns no event id");
}

#[test]
fn identify_traits_sent_as_a_json_string_are_decoded_and_fill_the_contact() {
    let e = fixture("new-conversation", "new-conversation-traits-string.json");
    let contact = e.contact.expect("the visitor");
    assert_eq!(contact.name.as_deref(), Some("Mina Park"));
    assert_eq!(contact.email.as_deref(), Some("mina.park@example.net"));
    assert_eq!(contact.phone.as_deref(), Some("+82 10-1234-5678"));
    let visitor = &e.provider_event.detail["visitor"];
    assert_eq!(visitor["identTraits"]["plan"], "team");
    assert_eq!(visitor["identTraits"]["seats"], 12);
    assert_eq!(visitor["identUserId"], "cust-5521");
}

#[test]
fn the_same_visitor_is_one_contact_across_conversations() {
    let opened = fixture("new-conversation", "new-conversation.json");
    let unanswered = fixture("unanswered", "unanswered.json");
    assert_eq!(unanswered.event_type, EventType::ConversationUnanswered);
    assert_eq!(text_of(&unanswered), Some("Hello? Is anyone there?"));
    assert_ne!(unanswered.conversation_ref, opened.conversation_ref);
    let contact = unanswered.contact.expect("the visitor");
    assert_eq!(contact.provider_ref.as_deref(), Some(VISITOR));
    assert_eq!(contact.name.as_deref(), Some("Lee Jordan"));
    assert_eq!(contact.email.as_deref(), Some("lee.jordan@example.com"));
    assert_eq!(
        unanswered.provider_event.detail["visitor"]["identTraits"],
        json!({"company": "Jordan & Sons", "plan": "starter"}),
        "traits sent as an object stay an object"
    );
}

#[test]
fn feedback_is_received_on_the_conversation_it_is_about() {
    let e = fixture("feedback", "feedback.json");
    assert_eq!(e.event_type, EventType::FeedbackReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(FIRST_CHAT));
    assert_eq!(text_of(&e), Some("Quick and friendly, thanks!"));
    assert_eq!(e.provider_event.kind, "feedback");
}

#[test]
fn an_offline_message_belongs_to_no_conversation_and_prefers_the_form_details() {
    let e = fixture("offline-message", "offline-message.json");
    assert_eq!(e.event_type, EventType::MessageOffline);
    assert_eq!(e.conversation_ref, None);
    let contact = e.contact.clone().expect("the visitor");
    assert_eq!(
        contact.provider_ref.as_deref(),
        Some("3b2a1f0e-9d8c-4b7a-6f5e-4d3c2b1a0f9e")
    );
    assert_eq!(contact.name.as_deref(), Some("Ana Souza"));
    assert_eq!(
        contact.email.as_deref(),
        Some("ana.souza@example.com"),
        "the address typed into the form is where the visitor wants an answer"
    );
    assert_eq!(text_of(&e), Some("Please call me back about a bulk order."));
    let detail = &e.provider_event.detail;
    assert_eq!(
        detail["emailPretty"],
        "\"Ana Souza\" <ana.souza@example.com>"
    );
    assert_eq!(detail["visitor"]["email"], "ana@work.example.com");
    assert_eq!(
        detail["visitor"]["identTraits"],
        json!({"custom stuff": "things", "tier": "gold"})
    );
}

#[test]
fn a_transcript_carries_its_messages_in_order_with_who_said_them() {
    let e = fixture("transcript", "transcript.json");
    assert_eq!(e.event_type, EventType::ConversationTranscript);
    assert_eq!(e.conversation_ref.as_deref(), Some(FIRST_CHAT));
    assert_eq!(e.message, None);
    let contact = e.contact.clone().expect("the visitor");
    assert_eq!(contact.name.as_deref(), Some("Lee Jordan"));
    assert_eq!(contact.email.as_deref(), Some("lee.jordan@example.com"));
    let detail = &e.provider_event.detail;
    assert_eq!(
        detail["messages"],
        json!([
            {"sender": "visitor", "name": "portland-oregon-us-12", "text": "Do you ship to Canada?",
             "sent_at": "2026-11-20T09:14:03.000002145-08:00", "slack_user_id": null,
             "slack_ts": "1795194843.000002"},
            {"sender": "agent", "name": "Sam A.", "text": "We do, in 3 to 5 days.",
             "sent_at": "2026-11-20T09:15:01.000003981-08:00", "slack_user_id": "U07SAMAGNT",
             "slack_ts": "1795194901.000004"}
        ])
    );
    assert_eq!(detail["agentName"], "Sam Agent");
    assert_eq!(detail["startedAt"], "2026-11-20T09:14:03.512284-08:00");
    assert_eq!(detail["endedAt"], "2026-11-20T09:31:40.000041337-08:00");
    assert!(detail["textBody"]
        .as_str()
        .is_some_and(|t| t.contains("We do")));
    assert!(detail["htmlBody"]
        .as_str()
        .is_some_and(|t| t.contains("<p>")));
    assert_eq!(
        detail["archiveUrl"],
        "https://shopexample.slack.com/archives/cl-portland-oregon-us-12"
    );
    assert_eq!(detail["extraData"], json!(["order-1042", "vip"]));
    assert_eq!(
        detail["visitorTraits"]["current_page"],
        "https://shop.example.com/pricing"
    );
}

#[test]
fn a_transcript_with_unexpected_and_missing_fields_is_still_a_transcript() {
    let e = fixture("transcript", "transcript-surprising.json");
    assert_eq!(e.event_type, EventType::ConversationTranscript);
    assert_eq!(
        e.conversation_ref.as_deref(),
        Some("5e6f7a8b-1c2d-4e3f-6a7b-8c9d0e1f2a3b")
    );
    let contact = e.contact.expect("the visitor");
    assert_eq!(
        contact.name.as_deref(),
        Some("Mina Park"),
        "the traits' name, not the channel handle"
    );
    assert_eq!(contact.email.as_deref(), Some("mina.park@example.net"));
    let detail = &e.provider_event.detail;
    assert_eq!(detail["visitorTraits"]["plan"], "team");
    assert_eq!(detail["slackTeamID"], "T07SHOPEX");
    assert_eq!(detail["rating"], 5);
    assert_eq!(detail["tags"], json!(["billing", "seats"]));
    let messages = detail["messages"].as_array().expect("a list");
    let senders: Vec<&str> = messages
        .iter()
        .map(|m| m["sender"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        senders,
        ["unknown", "agent", "unknown", "visitor"],
        "the stray string is skipped; without isVisitorMsg only a Slack user id is conclusive"
    );
    assert_eq!(
        messages[1]["extra"]["files"][0]["name"],
        "invoice-fixed.pdf"
    );
    assert_eq!(messages[1]["sent_at"], Value::Null);
    assert_eq!(messages[3]["text"], "Thanks!");
}

#[test]
fn a_truncated_transcript_is_unrecognized_and_says_why() {
    let e = fixture("transcript", "transcript-truncated.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.provider_event.kind, "transcript");
    assert!(e.provider_event.detail["reason"]
        .as_str()
        .is_some_and(|r| r.starts_with("invalid JSON")));
}

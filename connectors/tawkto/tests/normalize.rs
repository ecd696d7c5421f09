//! Tawk.to webhooks normalized from fixture files written in the documented shapes: a chat's
//! start (with its first message), its end, its transcript in two plausible shapes, and a
//! ticket; plus what cannot be read, and replies that cannot be sent.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Connector, Content, Direction, EventType};
use omnigate_tawkto::{Tawkto, EXAMPLE_EVENT_ID as EVENT_ID};
use serde_json::json;

const CHAT: &str = "4c2a7e10-8b3f-11f1-a6d2-3b9e5f7c1d24";

fn kit() -> Kit<'static> {
    Kit::new(&Tawkto, env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_chat_start_opens_the_conversation_and_delivers_the_visitors_first_message() {
    let events = kit().fixture("chat-start.json");
    let types: Vec<EventType> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [EventType::ConversationOpened, EventType::MessageReceived]
    );
    for e in &events {
        assert_eq!(e.conversation_ref.as_deref(), Some(CHAT));
        assert_eq!(e.provider_event.kind, "chat:start");
        assert_eq!(e.provider_event.id.as_deref(), Some(EVENT_ID));
        let contact = e.contact.clone().expect("the visitor");
        assert_eq!(contact.name.as_deref(), Some("Ola Nordmann"));
        assert_eq!(contact.email.as_deref(), Some("ola@example.no"));
    }
    assert_eq!(events[0].message, None);
    let m = events[1].message.as_ref().expect("the first message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.content,
        Content::Text {
            text: "Do you rent e-bikes for a whole week?".into()
        }
    );
    assert_eq!(events[1].provider_event.detail["visitor"]["city"], "bergen");
    let keys: Vec<Option<String>> = events.iter().map(|e| e.dedup_key.clone()).collect();
    assert_eq!(
        keys,
        [Some(format!("{EVENT_ID}#0")), Some(format!("{EVENT_ID}#1"))],
        "one webhook's two events are not retries of each other"
    );
}

#[test]
fn an_agents_first_message_is_an_echo_and_a_generated_name_is_no_name() {
    let events = kit().fixture("chat-start-by-agent.json");
    assert_eq!(events[1].event_type, EventType::MessageEcho);
    let m = events[1].message.as_ref().expect("the agent's message");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    assert_eq!(
        events[0].contact, None,
        "V1795170340118442 is Tawk.to's name for an anonymous visitor"
    );
    assert_eq!(
        events[0].provider_event.detail["visitor"]["name"], "V1795170340118442",
        "still visible in the detail"
    );
}

#[test]
fn a_chat_end_closes_the_conversation() {
    let events = kit().fixture("chat-end.json");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, EventType::ConversationClosed);
    assert_eq!(events[0].conversation_ref.as_deref(), Some(CHAT));
    assert_eq!(events[0].dedup_key.as_deref(), Some(EVENT_ID));
}

#[test]
fn a_transcript_lists_every_line_with_who_said_it_in_either_shape() {
    for name in ["chat-transcript.json", "chat-transcript-flat.json"] {
        let events = kit().fixture(name);
        assert_eq!(events.len(), 1, "{name}");
        let e = &events[0];
        assert_eq!(e.event_type, EventType::ConversationTranscript, "{name}");
        assert_eq!(e.conversation_ref.as_deref(), Some(CHAT), "{name}");
        assert_eq!(
            e.contact.as_ref().and_then(|c| c.email.as_deref()),
            Some("ola@example.no")
        );
        let lines = e.provider_event.detail["messages"].as_array().unwrap();
        assert_eq!(lines[0]["sender"], "visitor", "{name}");
        assert_eq!(lines[0]["text"], "Do you rent e-bikes for a whole week?");
        assert_eq!(lines[1]["sender"], "agent", "{name}");
        assert_eq!(lines[1]["name"], "Siri", "{name}");
    }
    let nested = &kit().fixture("chat-transcript.json")[0];
    let lines = nested.provider_event.detail["messages"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["sender"], "system");
    assert_eq!(nested.provider_event.detail["rating"], 5);
}

#[test]
fn a_ticket_is_an_offline_message_from_its_requester() {
    let events = kit().fixture("ticket-create.json");
    let e = &events[0];
    assert_eq!(e.event_type, EventType::MessageOffline);
    assert_eq!(e.conversation_ref, None);
    let c = e.contact.clone().expect("the requester");
    assert_eq!(c.email.as_deref(), Some("kari.hansen@example.no"));
    let m = e.message.as_ref().expect("the ticket's message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.content,
        Content::Text {
            text: "The lock of bike 42 does not open with the code you sent.".into()
        }
    );
    assert_eq!(
        e.provider_event.detail["ticket_subject"],
        "Broken rental lock"
    );
    assert_eq!(e.provider_event.detail["ticket_humanId"], 118);
}

#[test]
fn unreadable_or_unknown_webhooks_become_one_unrecognized_event() {
    let bodies = [
        String::new(),
        "{".into(),
        "7".into(),
        json!({"chatId": CHAT}).to_string(),
        json!({"event": "chat:start"}).to_string(),
        json!({"event": "chat:end", "chatId": "x y"}).to_string(),
        json!({"event": "ticket:create"}).to_string(),
        json!({"event": "chat:transcript_created", "chat": {"messages": []}}).to_string(),
        json!({"event": "visitor:banned", "chatId": CHAT}).to_string(),
    ];
    for body in bodies {
        let events = kit().normalize(None, &[], body.as_bytes());
        assert_eq!(events.len(), 1, "{body}");
        assert_eq!(
            events[0].event_type,
            EventType::ProviderUnrecognized,
            "{body}"
        );
        assert_eq!(events[0].dedup_key, None);
    }
    let known_chat = kit().normalize(
        None,
        &[],
        json!({"event": "visitor:banned", "chatId": CHAT})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(known_chat[0].conversation_ref.as_deref(), Some(CHAT));
}

#[test]
fn replies_are_refused_because_tawkto_cannot_post_into_a_chat() {
    assert!(!Tawkto.capabilities().replies);
    let err = Tawkto
        .validate_reply(&json!({"type": "text", "text": "hi"}))
        .unwrap_err();
    assert_eq!(err.code, "reply_not_supported");
    assert_eq!(Tawkto.secret_fields(), ["webhook_secret"]);
}

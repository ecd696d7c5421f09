//! Smartsupp events onto the event model: contact messages in, agent and bot messages as
//! echoes, the conversation's lifecycle, contacts, and everything else kept as
//! `provider.unrecognized`; each with its de-duplication key.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use omnigate_smartsupp::Smartsupp;
use serde_json::json;

const CONVERSATION: &str = "conv_7Hq2LmX9";

fn fixture(name: &str) -> NormalizedEvent {
    Kit::new(&Smartsupp, env!("CARGO_MANIFEST_DIR")).single(name)
}

fn normalize(body: &[u8]) -> NormalizedEvent {
    let mut events = Kit::new(&Smartsupp, env!("CARGO_MANIFEST_DIR")).normalize(None, &[], body);
    assert_eq!(events.len(), 1);
    events.remove(0)
}

#[test]
fn a_contact_message_is_received_with_the_contact_and_its_name() {
    let e = fixture("contact-replied.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONVERSATION));
    let c = e.contact.unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some("ct_51Rk8Wd"));
    assert_eq!(c.name.as_deref(), Some("Ola Nordmann"));
    let m = e.message.unwrap();
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.origin, None);
    assert_eq!(m.id.as_deref(), Some("msg_A1"));
    assert_eq!(
        m.content,
        Content::Text {
            text: "Hi, do you rent e-bikes by the week?".into()
        }
    );
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("conversation.contact_replied:msg_A1")
    );
    assert_eq!(
        e.provider_event.detail["page_url"],
        "https://www.harbor-bikes.example/rent"
    );
}

#[test]
fn agent_and_bot_messages_are_echoes_never_visitor_messages() {
    let agent = fixture("agent-replied.json");
    assert_eq!(agent.event_type, EventType::MessageEcho);
    let m = agent.message.clone().unwrap();
    assert_eq!(
        (m.direction, m.origin.as_deref()),
        (Direction::Outbound, Some("provider"))
    );
    assert_eq!(
        m.content,
        Content::Text {
            text: "Yes: 7 days is 1200 NOK.".into()
        }
    );
    assert_eq!(agent.provider_event.detail["agent_id"], 4821);
    assert_eq!(
        agent.contact.unwrap().name,
        None,
        "the agent is not the contact"
    );
    let bot = fixture("bot-replied-content-object.json");
    assert_eq!(bot.event_type, EventType::MessageEcho);
    assert_eq!(
        bot.message.unwrap().content,
        Content::Text {
            text: "An agent will be with you shortly.".into()
        }
    );
    // A contact_replied event whose message says it is an agent's is not trusted as the
    // visitor's.
    let mut body: serde_json::Value = serde_json::from_slice(
        &Kit::new(&Smartsupp, env!("CARGO_MANIFEST_DIR")).fixture_bytes("contact-replied.json"),
    )
    .unwrap();
    body["data"]["message"]["sub_type"] = json!("agent");
    let e = normalize(body.to_string().as_bytes());
    assert_eq!(e.event_type, EventType::MessageEcho);
}

#[test]
fn a_message_with_only_ids_keeps_what_it_has() {
    let e = fixture("contact-replied-minimal.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONVERSATION));
    assert_eq!(e.contact, None, "no contact id was sent");
    assert_eq!(
        e.message.unwrap().content,
        Content::Text {
            text: "Are helmets included?".into()
        }
    );
}

#[test]
fn an_attachment_without_text_is_an_image_or_a_file() {
    let e = fixture("contact-replied-attachment.json");
    assert_eq!(
        e.message.unwrap().content,
        Content::Image {
            url: "https://files.smartsupp.example/a/bike.jpg".into(),
            caption: None
        }
    );
    assert_eq!(
        e.provider_event.detail["attachments"][0]["name"],
        "bike.jpg"
    );
}

#[test]
fn the_lifecycle_maps_to_opened_closed_handover_and_feedback() {
    let cases = [
        ("conversation-opened.json", EventType::ConversationOpened),
        ("conversation-closed.json", EventType::ConversationClosed),
        (
            "conversation-agent-assigned.json",
            EventType::ConversationHandover,
        ),
        ("conversation-rated.json", EventType::FeedbackReceived),
        ("message-delivery-failed.json", EventType::MessageFailed),
    ];
    for (name, t) in cases {
        let e = fixture(name);
        assert_eq!(e.event_type, t, "{name}");
        assert_eq!(e.conversation_ref.as_deref(), Some(CONVERSATION), "{name}");
        assert!(e.dedup_key.is_some(), "{name}");
    }
    let closed = fixture("conversation-closed.json");
    assert_eq!(detail(&closed)["closed_by"], "agent");
    assert_eq!(detail(&closed)["close_type"], "agent");
    let assigned = fixture("conversation-agent-assigned.json");
    assert_eq!(detail(&assigned)["action"], "agent_assigned");
    assert_eq!(detail(&assigned)["assigned"], json!([4821]));
    let rated = fixture("conversation-rated.json");
    assert_eq!(detail(&rated)["rating_value"], 5);
    assert_eq!(detail(&rated)["rating_text"], "Quick and friendly");
}

#[test]
fn contact_details_are_a_contact_update() {
    let e = fixture("contact-updated.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    let c = e.contact.unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some("ct_51Rk8Wd"));
    assert_eq!(c.email.as_deref(), Some("ola@example.no"));
    assert_eq!(c.phone.as_deref(), Some("+47 912 34 567"));
}

#[test]
fn unknown_events_and_unreadable_bodies_are_unrecognized() {
    let e = fixture("visitor-typing.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.provider_event.kind, "visitor.typing");
    assert!(e.dedup_key.is_some(), "a redelivery is stored once");
    for body in [
        &b"nope"[..],
        b"[]",
        b"{}",
        br#"{"event":"conversation.contact_replied"}"#,
    ] {
        let e = normalize(body);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{body:?}");
        assert!(e.message.is_none());
    }
}

#[test]
fn a_redelivery_has_the_same_key_and_another_event_of_the_message_another() {
    assert_eq!(
        fixture("agent-replied.json").dedup_key,
        fixture("agent-replied.json").dedup_key
    );
    assert_ne!(
        fixture("agent-replied.json").dedup_key,
        fixture("message-delivery-failed.json").dedup_key,
        "the same message's delivery report is another event"
    );
}

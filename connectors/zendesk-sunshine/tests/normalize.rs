//! Sunshine webhooks normalized from fixture files written in the documented webhook v2 shapes:
//! batches, visitor and business messages, media, postbacks, switchboard hand-overs, removal.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{Content, Direction, EventType};
use omnigate_zendesk_sunshine::ZendeskSunshine;
use serde_json::json;

/// The conversation most fixtures are about, and its visitor.
const CONVERSATION: &str = "c0ffee0123456789abcdef01";
const USER: &str = "5e7a1b2c3d4e5f6a7b8c9d01";

fn kit() -> Kit<'static> {
    Kit::new(&ZendeskSunshine, env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_visitor_text_message_is_received_with_the_visitor_as_contact() {
    let e = kit().single("message-user-text.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONVERSATION));
    let m = e.message.as_ref().expect("a message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.id.as_deref(), Some("6b20a1c3d5e7f90112233501"));
    assert_eq!(
        m.content,
        Content::Text {
            text: "Is my order shipped yet?".into()
        }
    );
    assert_eq!(m.origin, None);
    let c = e.contact.as_ref().expect("the visitor");
    assert_eq!(c.provider_ref.as_deref(), Some(USER));
    assert_eq!(c.name.as_deref(), Some("Mina Park"));
    assert_eq!(c.email.as_deref(), Some("mina.park@example.com"));
    assert_eq!(e.provider_event.kind, "conversation:message");
    assert_eq!(
        e.provider_event.id.as_deref(),
        Some("6b20a1c3d5e7f90112233401")
    );
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("6b20a1c3d5e7f90112233401"),
        "de-duplicated by the Sunshine event id"
    );
    let d = detail(&e);
    assert_eq!(d["source"]["type"], "web");
    assert_eq!(d["createdAt"], "2026-11-20T09:14:03.512Z");
    assert_eq!(
        d["conversation"]["activeSwitchboardIntegration"]["name"],
        "zd-agentWorkspace"
    );
    assert!(
        d["author"].get("user").is_none(),
        "the user went to the contact"
    );
}

#[test]
fn a_batch_yields_one_event_per_element_in_order_each_with_its_own_id() {
    let events = kit().fixture("batch-opened-then-messages.json");
    let types: Vec<EventType> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            EventType::ConversationOpened,
            EventType::MessageReceived,
            EventType::MessageEcho
        ]
    );
    let keys: Vec<Option<&str>> = events.iter().map(|e| e.dedup_key.as_deref()).collect();
    assert_eq!(
        keys,
        [
            Some("6b20a1c3d5e7f90112233411"),
            Some("6b20a1c3d5e7f90112233412"),
            Some("6b20a1c3d5e7f90112233413")
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.conversation_ref.as_deref() == Some("c0ffee0123456789abcdef02")));

    let opened = &events[0];
    assert_eq!(
        opened
            .contact
            .as_ref()
            .and_then(|c| c.provider_ref.as_deref()),
        Some("5e7a1b2c3d4e5f6a7b8c9d02")
    );
    let d = detail(opened);
    assert_eq!(d["creationReason"], "message");
    assert_eq!(d["user"]["externalId"], "customer-5120");
    assert_eq!(d["conversation"]["metadata"], json!({"lang": "ko-KR"}));
}

#[test]
fn a_business_message_is_an_echo_from_the_provider_and_never_received() {
    let events = kit().fixture("batch-opened-then-messages.json");
    let agent = &events[2];
    assert_eq!(agent.event_type, EventType::MessageEcho);
    let m = agent.message.as_ref().expect("a message");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    assert_eq!(agent.contact, None, "the agent is not the contact");
    assert_eq!(
        detail(agent)["author"]["displayName"],
        "Jordan from Support"
    );

    let bot = kit().single("message-business-bot.json");
    assert_eq!(bot.event_type, EventType::MessageEcho);
    let d = detail(&bot);
    assert_eq!(d["author"]["subtypes"], json!(["AI"]));
    assert_eq!(d["actions"][0]["payload"], "ORDER_YES");
}

#[test]
fn images_and_files_become_image_and_file_content() {
    let img = kit().single("message-user-image.json");
    assert_eq!(img.event_type, EventType::MessageReceived);
    assert_eq!(
        img.message.as_ref().map(|m| &m.content),
        Some(&Content::Image {
            url: "https://media.smooch.io/apps/6a1f0c2b9d4e8a7b3c5d1e2f/conversations/c0ffee0123456789abcdef01/damaged-box.jpg".into(),
            caption: Some("the box arrived like this".into()),
        })
    );
    assert_eq!(detail(&img)["mediaType"], "image/jpeg");

    let file = kit().single("message-user-file.json");
    assert_eq!(
        file.message.as_ref().map(|m| &m.content),
        Some(&Content::File {
            url: "https://media.smooch.io/apps/6a1f0c2b9d4e8a7b3c5d1e2f/conversations/c0ffee0123456789abcdef01/receipt-4417.pdf".into(),
            name: Some("receipt-4417.pdf".into()),
        })
    );
    assert_eq!(detail(&file)["text"], "my receipt");
}

#[test]
fn other_content_types_arrive_as_unsupported_with_the_content_kept() {
    let e = kit().single("message-user-location.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(
        e.message.as_ref().map(|m| &m.content),
        Some(&Content::Unsupported {
            provider_type: "location".into()
        })
    );
    assert_eq!(
        detail(&e)["content"]["location"]["address"],
        "110 Sejong-daero, Seoul"
    );
}

#[test]
fn a_postback_is_received_with_its_payload() {
    let e = kit().single("postback.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(
        e.message.as_ref().map(|m| &m.content),
        Some(&Content::Postback {
            text: "TRACK_ORDER".into(),
            payload: "TRACK_ORDER".into()
        })
    );
    assert_eq!(
        e.contact.as_ref().and_then(|c| c.provider_ref.as_deref()),
        Some(USER)
    );
    assert_eq!(detail(&e)["metadata"]["orderId"], "4417");
}

#[test]
fn switchboard_actions_are_handovers_naming_the_control_and_the_new_owner() {
    let events = kit().fixture("switchboard-handovers.json");
    assert!(events
        .iter()
        .all(|e| e.event_type == EventType::ConversationHandover));
    let controls: Vec<String> = events
        .iter()
        .map(|e| detail(e)["control"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        controls,
        [
            "passControl",
            "offerControl",
            "acceptControl",
            "releaseControl"
        ]
    );
    let pass = detail(&events[0]);
    assert_eq!(
        pass["conversation"]["activeSwitchboardIntegration"]["integrationType"],
        "zd:agentWorkspace"
    );
    assert_eq!(pass["metadata"]["reason"], "customer asked for a human");
    assert_eq!(detail(&events[3])["reason"], "ticketClosed");
    assert_eq!(events[3].provider_event.kind, "switchboard:releaseControl");
}

#[test]
fn a_removed_conversation_is_closed() {
    let e = kit().single("conversation-remove.json");
    assert_eq!(e.event_type, EventType::ConversationClosed);
    assert_eq!(e.conversation_ref.as_deref(), Some(CONVERSATION));
    assert_eq!(detail(&e)["removed"], true);
}

#[test]
fn unmapped_and_malformed_elements_are_unrecognized_in_place_and_the_rest_still_counts() {
    let events = kit().fixture("unmapped-and-malformed.json");
    assert_eq!(events.len(), 4, "one event per element, even a broken one");
    assert!(events
        .iter()
        .all(|e| e.event_type == EventType::ProviderUnrecognized));
    assert_eq!(events[0].provider_event.kind, "conversation:typing");
    assert_eq!(events[0].conversation_ref.as_deref(), Some(CONVERSATION));
    assert_eq!(
        events[0].dedup_key.as_deref(),
        Some("6b20a1c3d5e7f90112233491"),
        "a retried batch stores its unrecognized events once too"
    );
    assert_eq!(events[1].dedup_key, None);
    let reason = |i: usize| {
        detail(&events[i])["reason"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(reason(1).contains("not an object"), "{}", reason(1));
    assert!(
        reason(2).contains("who wrote it"),
        "a message without an author type is never received: {}",
        reason(2)
    );
    assert!(reason(3).contains("conversation.id"), "{}", reason(3));
    assert_eq!(events[3].conversation_ref, None);
}

//! A thin `conversation.newMessage` filled in from HubSpot's message API: the call the gateway
//! makes for it, and how each answer is read into the event (pure; answers in tests/answers).

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{
    Connector, Content, Direction, EnrichContext, Enrichment, EventType, Method, NormalizedEvent,
};
use omnigate_hubspot::HubSpot;

fn thin() -> NormalizedEvent {
    let mut got = Kit::new(&HubSpot, env!("CARGO_MANIFEST_DIR")).fixture("new-message.json");
    got.remove(0)
}

fn answer(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/answers/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn enriched(name: &str) -> NormalizedEvent {
    match HubSpot.read_enrichment(&thin(), 200, &answer(name)) {
        Enrichment::Enriched(e) => *e,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn only_a_new_message_without_its_text_is_thin() {
    assert!(HubSpot.needs_enrichment(&thin()));
    let kit = Kit::new(&HubSpot, env!("CARGO_MANIFEST_DIR"));
    for other in [
        "creation.json",
        "unknown-subscription.json",
        "other-app.json",
    ] {
        for e in kit.fixture(other) {
            assert!(!HubSpot.needs_enrichment(&e), "{other}");
        }
    }
}

#[test]
fn the_message_is_read_with_the_channels_access_token() {
    let creds = HubSpot.example_credentials();
    let ctx = EnrichContext {
        credentials: &creds,
        api_base: "https://api.hub.test/",
    };
    let call = HubSpot.enrichment_call(&ctx, &thin()).unwrap();
    assert_eq!(call.method, Method::Get);
    assert_eq!(
        call.url,
        "https://api.hub.test/conversations/v3/conversations/threads/7412055081/messages/a61c0e4f2b9d4e7f8a1b2c3d4e5f6a7b"
    );
    assert!(call.headers.contains(&(
        "authorization".into(),
        "Bearer pat-na1-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d".into()
    )));
    assert!(call.body.is_empty());
}

#[test]
fn ids_that_are_not_ids_are_never_put_into_the_url() {
    let creds = HubSpot.example_credentials();
    let ctx = EnrichContext {
        credentials: &creds,
        api_base: "https://api.hub.test",
    };
    let mut e = thin();
    e.provider_event
        .detail
        .insert("messageId".into(), "../../owners".into());
    assert!(matches!(
        HubSpot.enrichment_call(&ctx, &e),
        Err(Enrichment::Refused { code, .. }) if code == "invalid_ids"
    ));
}

#[test]
fn a_visitors_message_becomes_message_received_with_its_text_and_sender() {
    let e = enriched("message-incoming.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    let m = e.message.as_ref().unwrap();
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.content,
        Content::Text {
            text: "Is the blue one in stock?".into()
        }
    );
    assert_eq!(m.id.as_deref(), Some("a61c0e4f2b9d4e7f8a1b2c3d4e5f6a7b"));
    let c = e.contact.as_ref().unwrap();
    assert_eq!(c.name.as_deref(), Some("Mina Park"));
    assert_eq!(c.email.as_deref(), Some("mina@example.com"));
    assert_eq!(c.provider_ref.as_deref(), Some("V-2915064"));
    assert_eq!(detail(&e).get("thin"), None);
    assert_eq!(detail(&e).get("reason"), None);
    assert_eq!(e.dedup_key.as_deref(), Some("4100000002"), "kept");
}

#[test]
fn an_agents_message_is_an_echo_with_the_agents_name_and_the_visitor_as_contact() {
    let e = enriched("message-outgoing-agent.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    let m = e.message.as_ref().unwrap();
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.origin.as_deref(), Some("provider"));
    assert_eq!(detail(&e)["sender_name"], "Jonas Berg");
    assert_eq!(detail(&e)["sender_actor_id"], "A-5190441");
    assert_eq!(
        e.contact.as_ref().unwrap().name.as_deref(),
        Some("Mina Park")
    );
}

#[test]
fn a_message_posted_by_the_channels_own_app_is_an_echo_of_omnigate() {
    let e = enriched("message-outgoing-app.json");
    assert_eq!(e.event_type, EventType::MessageEcho);
    assert_eq!(e.message.unwrap().origin.as_deref(), Some("omnigate"));
    assert_eq!(e.contact, None, "no recipient named");
}

#[test]
fn other_thread_messages_stay_unrecognized_with_their_kind() {
    let e = enriched("welcome-message.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(detail(&e)["message_kind"], "WELCOME_MESSAGE");
    assert!(e.message.is_none());
}

#[test]
fn failures_are_temporary_or_final_with_a_reason() {
    let read = |status, body: &[u8]| HubSpot.read_enrichment(&thin(), status, body);
    assert!(matches!(read(503, b""), Enrichment::Retryable { code, .. } if code == "http_503"));
    assert!(matches!(read(429, b""), Enrichment::Retryable { .. }));
    assert!(matches!(read(404, b""), Enrichment::Refused { code, .. } if code == "not_found"));
    assert!(matches!(read(401, b""), Enrichment::Refused { code, .. } if code == "access_denied"));
    assert!(
        matches!(read(200, b"<html>"), Enrichment::Refused { code, .. } if code == "invalid_answer")
    );
}

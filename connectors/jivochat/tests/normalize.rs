//! Jivo Bot API events onto the event model: the visitor's messages, a chat no agent could
//! take, a closed chat, and everything else kept as `provider.unrecognized`; each keyed by
//! Jivo's event `id`.

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{Content, Direction, EventType, NormalizedEvent};
use omnigate_jivochat::JivoChat;

fn kit() -> Kit<'static> {
    Kit::new(&JivoChat, env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> NormalizedEvent {
    kit().single(name)
}

#[test]
fn a_client_message_is_received_on_the_client_and_chat() {
    let e = fixture("client-message.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.conversation_ref.as_deref(), Some("77310:5521"));
    let c = e.contact.clone().unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some("77310"));
    assert_eq!(c.name.as_deref(), Some("Ana Lima"));
    let m = e.message.clone().unwrap();
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.content,
        Content::Text {
            text: "Vocês entregam em Niterói?".into()
        }
    );
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("3f1c9e2a-8b4d-11f1-9c2e-5a7b3c9d1e0f")
    );
    assert_eq!(detail(&e)["site_id"], "482915");
    assert_eq!(detail(&e)["url"], "https://loja.example.com.br/bikes");
}

#[test]
fn a_message_without_sender_or_site_keeps_what_it_has() {
    let e = fixture("client-message-minimal.json");
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(e.contact.unwrap().name, None);
    assert_eq!(
        e.message.unwrap().content,
        Content::Text { text: "Oi?".into() }
    );
}

#[test]
fn a_photo_is_an_image() {
    let e = fixture("client-message-photo.json");
    assert_eq!(
        e.message.unwrap().content,
        Content::Image {
            url: "https://files.jivosite.example/p/5521/bike.jpg".into(),
            caption: None
        }
    );
}

#[test]
fn no_agent_and_a_closed_chat_are_lifecycle_events() {
    let e = fixture("agent-unavailable.json");
    assert_eq!(e.event_type, EventType::ConversationUnanswered);
    assert_eq!(e.conversation_ref.as_deref(), Some("77310:5521"));
    let e = fixture("chat-closed.json");
    assert_eq!(e.event_type, EventType::ConversationClosed);
    assert!(e.message.is_none());
}

#[test]
fn unknown_events_and_bodies_without_a_chat_are_unrecognized() {
    let e = fixture("client-info-unknown.json");
    assert_eq!(e.event_type, EventType::ProviderUnrecognized);
    assert_eq!(e.provider_event.kind, "CLIENT_TYPING");
    assert!(e.dedup_key.is_some());
    for body in [
        &b"[]"[..],
        b"nope",
        br#"{"id":"x","event":"CLIENT_MESSAGE","chat_id":"1","message":{"type":"TEXT","text":"hi"}}"#,
        br#"{"id":"x","event":"CLIENT_MESSAGE","client_id":"a:b","chat_id":"1"}"#,
    ] {
        let events = kit().normalize(None, &[], body);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, EventType::ProviderUnrecognized, "{body:?}");
        assert!(events[0].message.is_none());
    }
}

#[test]
fn jivo_signs_nothing_so_only_the_allow_list_can_refuse() {
    let body = kit().fixture_bytes("client-message.json");
    assert_eq!(kit().verify(None, &[], &body), Ok(()));
    let fenced =
        kit().with_settings(serde_json::json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    assert_eq!(
        fenced.verify(None, &[], &body).unwrap_err().code(),
        "source_not_allowed"
    );
}

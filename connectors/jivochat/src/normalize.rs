//! Maps Jivo Bot API events (`{id, event, client_id, chat_id, sender, message, ...}`) onto the
//! event model. Total by design: anything no mapping understands is `provider.unrecognized`
//! (the gateway keeps the raw body). Every event is de-duplicated by Jivo's `id`.

use omnigate_connector_core::fields::{capped, id, keep, text};
use omnigate_connector_core::{
    Contact, Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

/// The conversation key of a Jivo chat: replies name both the client and the chat.
pub fn conversation_key(client_id: &str, chat_id: &str) -> String {
    format!("{client_id}:{chat_id}")
}

pub fn normalize(body: &[u8]) -> NormalizedEvent {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return NormalizedEvent::unrecognized("invalid_json", format!("invalid JSON: {e}"))
        }
    };
    let Some(obj) = parsed.as_object() else {
        return NormalizedEvent::unrecognized("invalid_json", "the body is not a JSON object");
    };
    let event = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty());
    let event_id = id(obj.get("id"));
    let conversation = match (id(obj.get("client_id")), id(obj.get("chat_id"))) {
        // ':' separates the two in the key, so neither may contain one.
        (Some(client), Some(chat)) if !client.contains(':') && !chat.contains(':') => {
            Some(conversation_key(&client, &chat))
        }
        _ => None,
    };
    let unrecognized = |kind: &str, reason: String| {
        let mut e = NormalizedEvent::unrecognized(capped(kind), reason);
        e.provider_event.id = event_id.clone();
        e.dedup_key = event_id.clone();
        e.conversation_ref = conversation.clone();
        e
    };
    let Some(event) = event else {
        return unrecognized("unknown", "no \"event\" field".into());
    };
    let Some(conversation_ref) = conversation.clone() else {
        return unrecognized(event, "no usable \"client_id\" and \"chat_id\"".into());
    };
    let mut detail = Map::new();
    for key in ["site_id", "channel", "agents_online"] {
        keep(&mut detail, key, obj.get(key));
    }
    let sender = obj.get("sender").and_then(Value::as_object);
    let contact = Contact {
        provider_ref: id(obj.get("client_id")),
        name: sender.and_then(|s| text(s.get("name"))),
        email: sender.and_then(|s| text(s.get("email"))),
        phone: sender.and_then(|s| text(s.get("phone"))),
    };
    if let Some(s) = sender {
        for key in ["url", "has_contacts"] {
            keep(&mut detail, key, s.get(key));
        }
    }
    let (event_type, message) = match event {
        "CLIENT_MESSAGE" => {
            let Some(m) = obj.get("message").and_then(Value::as_object) else {
                return unrecognized(event, "a CLIENT_MESSAGE without \"message\"".into());
            };
            keep(&mut detail, "timestamp", m.get("timestamp"));
            let message = Message {
                id: event_id.clone(),
                direction: Direction::Inbound,
                content: content(m),
                origin: None,
            };
            (EventType::MessageReceived, Some(message))
        }
        "AGENT_UNAVAILABLE" => (EventType::ConversationUnanswered, None),
        "CHAT_CLOSED" => (EventType::ConversationClosed, None),
        other => {
            return unrecognized(
                other,
                format!("no mapping for Jivo event \"{}\"", capped(other)),
            )
        }
    };
    NormalizedEvent {
        event_type,
        conversation_ref: Some(conversation_ref),
        contact: Some(contact),
        message,
        provider_event: ProviderEvent {
            kind: event.to_string(),
            id: event_id.clone(),
            detail,
        },
        dedup_key: event_id,
    }
}

/// `TEXT` is text; a `PHOTO`/`FILE`/... with a `file` URL is an image or a file; anything else
/// is unsupported with its Jivo type.
fn content(m: &Map<String, Value>) -> Content {
    let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
    let url = text(m.get("file")).or_else(|| text(m.get("url")));
    match (kind, url) {
        ("TEXT", _) => match text(m.get("text")) {
            Some(text) => Content::Text { text },
            None => Content::Unsupported {
                provider_type: "TEXT".into(),
            },
        },
        ("PHOTO" | "IMAGE", Some(url)) => Content::Image {
            url,
            caption: text(m.get("text")),
        },
        (_, Some(url)) if !kind.is_empty() => Content::File {
            url,
            name: text(m.get("file_name")),
        },
        _ => Content::Unsupported {
            provider_type: if kind.is_empty() {
                "unknown".into()
            } else {
                capped(kind)
            },
        },
    }
}

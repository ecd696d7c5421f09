//! `chat:start`, `chat:end` and `ticket:create`.
//!
//! `chat:start` fires with the chat's first message, which the visitor or an agent may have
//! sent. It becomes two events: `conversation.opened`, then that message as
//! `message.received` (the visitor's) or `message.echo` (an agent's), because it is the only
//! message of a live chat Tawk.to delivers on its own and a helpdesk that follows
//! `message.received` must not miss it.

use omnigate_connector_core::{
    Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

use super::{keep, text, unrecognized, visitor};

/// What a chat event's detail keeps: when it happened, the property (site) it belongs to, and
/// the visitor as Tawk.to described them (city, country, the generated name).
fn chat_detail(obj: &Map<String, Value>) -> Map<String, Value> {
    let mut detail = Map::new();
    for key in ["time", "property", "visitor"] {
        keep(&mut detail, key, obj.get(key));
    }
    detail
}

fn chat_event(
    obj: &Map<String, Value>,
    kind: &str,
    chat: String,
    event_type: EventType,
    message: Option<Message>,
    detail: Map<String, Value>,
) -> NormalizedEvent {
    NormalizedEvent {
        event_type,
        conversation_ref: Some(chat),
        contact: visitor(obj.get("visitor")),
        message,
        provider_event: ProviderEvent {
            kind: kind.to_string(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

pub fn start(obj: &Map<String, Value>, chat: Option<String>) -> Vec<NormalizedEvent> {
    const KIND: &str = "chat:start";
    let Some(chat) = chat else {
        return vec![unrecognized(KIND, None, "no usable \"chatId\"".into())];
    };
    let first = obj.get("message").and_then(Value::as_object);
    let sender = first
        .and_then(|m| m.get("sender"))
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str);
    let mut opened_detail = chat_detail(obj);
    let message = match (first, sender) {
        (Some(m), Some("visitor")) => Some((EventType::MessageReceived, Direction::Inbound, m)),
        (Some(m), Some("agent")) => Some((EventType::MessageEcho, Direction::Outbound, m)),
        // Tawk.to documents only visitors and agents as the first sender; anything else is
        // kept for the helpdesk to see rather than guessed at.
        _ => {
            keep(&mut opened_detail, "message", obj.get("message"));
            None
        }
    };
    let opened = chat_event(
        obj,
        KIND,
        chat.clone(),
        EventType::ConversationOpened,
        None,
        opened_detail,
    );
    let Some((event_type, direction, m)) = message else {
        return vec![opened];
    };
    let kind = m.get("type").and_then(Value::as_str).unwrap_or("msg");
    let content = match text(m.get("text")) {
        Some(text) => Content::Text { text },
        None => Content::Unsupported {
            provider_type: kind.chars().take(64).collect(),
        },
    };
    let mut detail = chat_detail(obj);
    detail.insert("first_message".into(), Value::Bool(true));
    keep(&mut detail, "message_type", m.get("type"));
    let message = Message {
        id: None,
        direction,
        content,
        origin: (direction == Direction::Outbound).then(|| "provider".to_string()),
    };
    let said = chat_event(obj, KIND, chat, event_type, Some(message), detail);
    vec![opened, said]
}

pub fn end(obj: &Map<String, Value>, chat: Option<String>) -> NormalizedEvent {
    const KIND: &str = "chat:end";
    let Some(chat) = chat else {
        return unrecognized(KIND, None, "no usable \"chatId\"".into());
    };
    chat_event(
        obj,
        KIND,
        chat,
        EventType::ConversationClosed,
        None,
        chat_detail(obj),
    )
}

/// A ticket: a message left through Tawk.to's offline form or by e-mail, or opened by an
/// agent. It belongs to no live chat; its `requester` is the contact.
pub fn ticket(obj: &Map<String, Value>) -> NormalizedEvent {
    const KIND: &str = "ticket:create";
    let Some(ticket) = obj.get("ticket").and_then(Value::as_object) else {
        return unrecognized(KIND, None, "no \"ticket\"".into());
    };
    let requester = obj.get("requester");
    let by_agent = requester
        .and_then(|r| r.get("type"))
        .and_then(Value::as_str)
        == Some("agent");
    let mut detail = Map::new();
    for key in ["time", "property", "requester"] {
        keep(&mut detail, key, obj.get(key));
    }
    for key in ["id", "humanId", "subject"] {
        keep(&mut detail, &format!("ticket_{key}"), ticket.get(key));
    }
    let content = match text(ticket.get("message")) {
        Some(text) => Content::Text { text },
        None => Content::Unsupported {
            provider_type: "ticket".into(),
        },
    };
    let mut contact = visitor(requester);
    if by_agent {
        // An agent opened it on someone's behalf: the agent is not the contact.
        contact = None;
    }
    NormalizedEvent {
        event_type: EventType::MessageOffline,
        conversation_ref: None,
        contact,
        message: Some(Message {
            id: text(ticket.get("id")),
            direction: if by_agent {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            content,
            origin: by_agent.then(|| "provider".to_string()),
        }),
        provider_event: ProviderEvent {
            kind: KIND.into(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

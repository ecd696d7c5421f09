//! `message:send` (the visitor wrote) and `message:received` (an operator, a bot or omnigate
//! wrote, shown to the visitor as `message.echo`), so the helpdesk never sees its own reply as
//! a visitor message. Private notes between operators are neither.

use omnigate_connector_core::{
    Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

use super::{capped, keep, text, unrecognized, visitor, Envelope};

/// Crisp fingerprints are integers; a string is accepted in case that changes.
fn fingerprint(data: &Map<String, Value>) -> Option<String> {
    match data.get("fingerprint")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= 64 && !s.contains(char::is_control) => {
            Some(s.clone())
        }
        _ => None,
    }
}

pub fn message(env: &Envelope<'_>) -> NormalizedEvent {
    let data = env.data;
    let Some(session) = env.session.clone() else {
        return unrecognized(env.event, None, "no usable \"session_id\"".into());
    };
    let kind = data.get("type").and_then(Value::as_str).unwrap_or("");
    let from = data.get("from").and_then(Value::as_str);
    if kind == "note" {
        return unrecognized(
            env.event,
            Some(session),
            "a private note: seen only by operators, never by the visitor".into(),
        );
    }
    // The event name decides; `from` can only make a message less trusted, never turn an
    // operator's message into the visitor's.
    let from_visitor = env.event == "message:send" && from != Some("operator");
    let (event_type, direction, origin) = if from_visitor {
        (EventType::MessageReceived, Direction::Inbound, None)
    } else {
        (
            EventType::MessageEcho,
            Direction::Outbound,
            Some("provider".to_string()),
        )
    };

    let mut detail = Map::new();
    for key in ["type", "from", "origin", "stamped", "timestamp"] {
        keep(&mut detail, key, data.get(key));
    }
    if !data.get("content").is_some_and(Value::is_string) {
        // Files, pickers, carousels...: the structure as Crisp sent it.
        keep(&mut detail, "content", data.get("content"));
    }
    let user = data.get("user").and_then(Value::as_object);
    let mut contact = visitor(&session);
    if from_visitor {
        contact.name = user.and_then(|u| text(u.get("nickname")));
    } else {
        // The operator or bot who wrote, never mistaken for the visitor.
        keep(&mut detail, "operator", data.get("user"));
    }
    let id = fingerprint(data);

    NormalizedEvent {
        event_type,
        conversation_ref: Some(session.clone()),
        contact: Some(contact),
        message: Some(Message {
            id: id.clone(),
            direction,
            content: content(kind, data.get("content")),
            origin,
        }),
        provider_event: ProviderEvent {
            kind: env.event.to_string(),
            id: id.clone(),
            detail,
        },
        // The fingerprint identifies the message; the event name keeps an edit
        // (`message:updated`, same fingerprint) from being taken for a retry.
        dedup_key: id.map(|fp| format!("{}:{session}:{fp}", env.event)),
    }
}

fn content(kind: &str, content: Option<&Value>) -> Content {
    let obj = content.and_then(Value::as_object);
    let field = |k: &str| obj.and_then(|o| text(o.get(k)));
    let mime = field("type").unwrap_or_default();
    match kind {
        "text" => match text(content) {
            Some(text) => Content::Text { text },
            None => Content::Unsupported {
                provider_type: "text".into(),
            },
        },
        "file" | "animation" | "audio" => match field("url") {
            Some(url) if kind == "animation" || mime.starts_with("image/") => {
                Content::Image { url, caption: None }
            }
            Some(url) => Content::File {
                url,
                name: field("name"),
            },
            None => Content::Unsupported {
                provider_type: kind.into(),
            },
        },
        other => Content::Unsupported {
            provider_type: if other.is_empty() {
                "unknown".into()
            } else {
                capped(other)
            },
        },
    }
}

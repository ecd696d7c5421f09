//! Maps a Sunshine webhook v2 body onto the event model: one normalized event per element of
//! `events`, in the order Sunshine sent them. Total: a body that cannot be read, or an element
//! no mapping understands, becomes `provider.unrecognized` (the gateway keeps the raw body),
//! never an error, and the result is never empty.
//!
//! Every event carries the Sunshine event id as `provider_event.id` and `dedup_key`, so a
//! retried batch is stored once, element by element. `provider_event.type` is Sunshine's event
//! type (`conversation:message`, ...). `provider_event.detail` keeps Sunshine's own field names.

mod lifecycle;
mod message;

use omnigate_connector_core::{EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

/// Longest event type kept as `provider_event.type`; Sunshine's are short.
const KIND_MAX: usize = 64;
/// Longest id accepted as a conversation key, user id or event id (Sunshine's are 24 hex digits).
const ID_MAX: usize = 256;

/// Normalizes one webhook body.
pub fn normalize(body: &[u8]) -> Vec<NormalizedEvent> {
    let root = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => {
            return vec![unrecognized(
                "invalid_json",
                "the body is not a JSON object",
            )]
        }
        Err(e) => return vec![unrecognized("invalid_json", format!("invalid JSON: {e}"))],
    };
    let Some(Value::Array(events)) = root.get("events") else {
        return vec![unrecognized("unknown", "no \"events\" array")];
    };
    if events.is_empty() {
        return vec![unrecognized("unknown", "the \"events\" array is empty")];
    }
    events.iter().map(event).collect()
}

fn unrecognized(kind: &str, reason: impl Into<String>) -> NormalizedEvent {
    NormalizedEvent::unrecognized(kind, reason)
}

/// One element of `events`.
fn event(value: &Value) -> NormalizedEvent {
    let Some(obj) = value.as_object() else {
        return unrecognized("unknown", "an element of \"events\" is not an object");
    };
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k.chars().take(KIND_MAX).collect(),
        _ => "unknown".to_string(),
    };
    let id = key(obj.get("id"));
    let empty = Map::new();
    let payload = obj.get("payload").and_then(Value::as_object);
    let conversation = payload
        .and_then(|p| p.get("conversation"))
        .and_then(Value::as_object);
    let conversation_ref = key(conversation.and_then(|c| c.get("id")));

    let mapped = match (kind.as_str(), payload, &conversation_ref) {
        (_, None, _) => Err("no \"payload\" object".to_string()),
        (_, Some(_), None) => Err("no usable \"payload.conversation.id\"".to_string()),
        ("conversation:message", Some(p), Some(_)) => message::message(p),
        ("conversation:postback", Some(p), Some(_)) => message::postback(p),
        ("conversation:create", Some(p), Some(_)) => Ok(lifecycle::created(p)),
        ("conversation:remove", Some(p), Some(_)) => Ok(lifecycle::removed(p)),
        (k, Some(p), Some(_)) if k.starts_with("switchboard:") => Ok(lifecycle::handover(k, p)),
        (k, Some(_), Some(_)) => Err(format!("no mapping for Sunshine event \"{k}\"")),
    };

    let mut ev = match mapped {
        Ok(m) => NormalizedEvent {
            event_type: m.event_type,
            conversation_ref: conversation_ref.clone(),
            contact: m.contact,
            message: m.message,
            provider_event: ProviderEvent {
                kind: kind.clone(),
                id: None,
                detail: m.detail,
            },
            dedup_key: None,
        },
        Err(reason) => {
            let mut ev = unrecognized(&kind, reason);
            // Attached to its conversation when it has one, so the helpdesk sees it in context.
            ev.conversation_ref = conversation_ref.clone();
            ev
        }
    };
    let detail = &mut ev.provider_event.detail;
    if let Some(at) = obj.get("createdAt").filter(|v| v.is_string()) {
        detail.insert("createdAt".into(), at.clone());
    }
    let conversation = without(conversation.unwrap_or(&empty), &["id"]);
    if !conversation.is_empty() && ev.event_type != EventType::ProviderUnrecognized {
        detail.insert("conversation".into(), Value::Object(conversation));
    }
    ev.provider_event.id = id.clone();
    ev.dedup_key = id;
    ev
}

/// What a mapping produced for one event.
pub(crate) struct Mapped {
    pub event_type: EventType,
    pub contact: Option<omnigate_connector_core::Contact>,
    pub message: Option<omnigate_connector_core::Message>,
    pub detail: Map<String, Value>,
}

/// A usable id: a non-empty string of at most 256 characters without control characters.
pub(crate) fn key(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s)
            if !s.trim().is_empty() && s.len() <= ID_MAX && !s.chars().any(char::is_control) =>
        {
            Some(s.clone())
        }
        _ => None,
    }
}

/// A non-blank string.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A copy of `obj` without the `skip` keys.
pub(crate) fn without(obj: &Map<String, Value>, skip: &[&str]) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

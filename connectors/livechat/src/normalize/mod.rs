//! Maps a LiveChat webhook onto the event model. Total: a body that cannot be read, or an action
//! no mapping understands, becomes `provider.unrecognized` (the gateway keeps the raw body),
//! never an error, and the result is never empty.
//!
//! `provider_event.type` is the webhook's `action`. Every event's detail carries `webhook_id`
//! and `organization_id` (`license_id` in older payloads) as sent; `secret_key` is never copied.
//!
//! De-duplication keys are built from what identifies the provider event itself, never from
//! `webhook_id` alone: LiveChat's `register_webhook` returns a `webhook_id` naming the
//! registration, so if the body's `webhook_id` is that id it is the same for every chat, and
//! keying on it would drop all but the first. Messages use `event:{chat_id}:{event id}` (the same
//! key whether the message arrived in `incoming_chat` or `incoming_event`), chat starts
//! `incoming_chat:{chat_id}:{thread_id}`, chat ends `chat_deactivated:{chat_id}:{thread_id}`.

mod author;
mod chat;
mod event;

use omnigate_connector_core::NormalizedEvent;
use serde_json::{Map, Value};

/// Longest action kept as `provider_event.type`.
const KIND_MAX: usize = 64;
/// Longest id accepted as a chat, thread, event or user id (LiveChat's are 10 to 36 characters;
/// agent ids are e-mail addresses).
const ID_MAX: usize = 256;

pub fn normalize(body: &[u8]) -> Vec<NormalizedEvent> {
    let root = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => {
            return vec![NormalizedEvent::unrecognized(
                "invalid_json",
                "the body is not a JSON object",
            )]
        }
        Err(e) => {
            return vec![NormalizedEvent::unrecognized(
                "invalid_json",
                format!("invalid JSON: {e}"),
            )]
        }
    };
    let action: String = match root.get("action").and_then(Value::as_str) {
        Some(a) if !a.is_empty() => a.chars().take(KIND_MAX).collect(),
        _ => "unknown".into(),
    };
    let empty = Map::new();
    let payload = root.get("payload").and_then(Value::as_object);
    let mapped = match (action.as_str(), payload) {
        (_, None) => Err("no \"payload\" object".to_string()),
        ("incoming_chat", Some(p)) => chat::incoming_chat(p),
        ("chat_deactivated", Some(p)) => chat::deactivated(p),
        ("incoming_event", Some(p)) => event::incoming_event(p),
        (other, Some(_)) => Err(format!("no mapping for LiveChat action \"{other}\"")),
    };
    let mut events = match mapped {
        Ok(events) if !events.is_empty() => events,
        Ok(_) => vec![NormalizedEvent::unrecognized(&action, "nothing to map")],
        Err(reason) => {
            let mut ev = NormalizedEvent::unrecognized(&action, reason);
            // Attached to its chat when it names one, so the helpdesk sees it in context.
            let p = payload.unwrap_or(&empty);
            ev.conversation_ref =
                key(p.get("chat_id")).or_else(|| key(p.get("chat").and_then(|c| c.get("id"))));
            vec![ev]
        }
    };
    for ev in &mut events {
        ev.provider_event.kind = action.clone();
        for field in ["webhook_id", "organization_id", "license_id"] {
            if let Some(v) = root.get(field).filter(|v| v.is_string() || v.is_number()) {
                ev.provider_event.detail.insert(field.into(), v.clone());
            }
        }
    }
    events
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

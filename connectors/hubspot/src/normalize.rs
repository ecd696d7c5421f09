//! Maps HubSpot's webhook batches (a JSON array of subscription events) onto the event model:
//! each event is one event, de-duplicated by HubSpot's `eventId`, on the conversation of its
//! thread (`objectId`).
//!
//! `conversation.newMessage` carries ids only: not the text, not the author, not even the
//! direction. It is forwarded as it is, as `provider.unrecognized` on the thread's
//! conversation with `detail.thin: true` and the ids, never as a visitor message (it may be an
//! agent's or omnigate's own reply). Internal notes (`messageType: COMMENT`) are marked as such.

use omnigate_connector_core::fields::{capped, id, keep, text};
use omnigate_connector_core::{EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

/// More events than this in one delivery is no batch HubSpot sends (it sends up to 100).
const MAX_EVENTS: usize = 500;

pub fn normalize(body: &[u8], app_id: Option<&str>) -> Vec<NormalizedEvent> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return vec![NormalizedEvent::unrecognized(
                "invalid_json",
                format!("invalid JSON: {e}"),
            )]
        }
    };
    match parsed {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .take(MAX_EVENTS)
            .map(|item| match item.as_object() {
                Some(e) => event(e, app_id),
                None => {
                    NormalizedEvent::unrecognized("unknown", "a batch item that is not an object")
                }
            })
            .collect(),
        Value::Object(o) => {
            let kind = text(o.get("type")).unwrap_or_else(|| "unknown".into());
            vec![NormalizedEvent::unrecognized(
                capped(&kind),
                "a single object, not a webhook batch (Custom Channels deliveries are not mapped)",
            )]
        }
        _ => vec![NormalizedEvent::unrecognized(
            "invalid_json",
            "the body is not a JSON array of events",
        )],
    }
}

fn event(e: &Map<String, Value>, app_id: Option<&str>) -> NormalizedEvent {
    let kind = text(e.get("subscriptionType")).unwrap_or_else(|| "unknown".into());
    let event_id = id(e.get("eventId"));
    let thread = id(e.get("objectId"));
    let mut detail = Map::new();
    for key in [
        "portalId",
        "appId",
        "subscriptionId",
        "occurredAt",
        "attemptNumber",
        "changeFlag",
    ] {
        keep(&mut detail, key, e.get(key));
    }
    let unrecognized = |reason: String, detail: Map<String, Value>, thread: Option<String>| {
        let mut u = NormalizedEvent::unrecognized(capped(&kind), reason);
        u.provider_event.detail.extend(detail);
        u.provider_event.id = event_id.clone();
        u.dedup_key = event_id.clone();
        u.conversation_ref = thread;
        u
    };
    // One app's webhooks reach every portal that installed it, but a channel is one app.
    let event_app = id(e.get("appId"));
    if let (Some(sent), Some(own)) = (&event_app, app_id) {
        if sent != own {
            return unrecognized(
                format!("an event of app {sent}, not of this channel's app {own}"),
                detail,
                None,
            );
        }
    }
    let Some(thread) = thread else {
        return unrecognized(
            "an event without a thread id (objectId)".into(),
            detail,
            None,
        );
    };
    let event_type = match kind.as_str() {
        "conversation.creation" => EventType::ConversationOpened,
        "conversation.deletion" | "conversation.privacyDeletion" => {
            detail.insert("deleted".into(), Value::Bool(true));
            EventType::ConversationClosed
        }
        "conversation.propertyChange" => {
            let name = text(e.get("propertyName")).unwrap_or_default();
            let value = text(e.get("propertyValue")).unwrap_or_default();
            keep(&mut detail, "propertyName", e.get("propertyName"));
            keep(&mut detail, "propertyValue", e.get("propertyValue"));
            match (name.as_str(), value.as_str()) {
                ("status", "CLOSED") => EventType::ConversationClosed,
                ("status", "OPEN") => EventType::ConversationOpened,
                ("assignedTo", _) => EventType::ConversationHandover,
                ("isArchived", "true") => {
                    detail.insert("archived".into(), Value::Bool(true));
                    EventType::ConversationClosed
                }
                _ => {
                    return unrecognized(
                        format!("no mapping for a change of \"{}\"", capped(&name)),
                        detail,
                        Some(thread),
                    )
                }
            }
        }
        "conversation.newMessage" => {
            for key in ["messageId", "messageType"] {
                keep(&mut detail, key, e.get(key));
            }
            let reason = if text(e.get("messageType")).as_deref() == Some("COMMENT") {
                detail.insert("internal_note".into(), Value::Bool(true));
                "an internal comment, seen only by HubSpot users"
            } else {
                detail.insert("thin".into(), Value::Bool(true));
                "HubSpot sends a new message's ids only; its text, author and direction are read \
                 with GET /conversations/v3/conversations/threads/{objectId}/messages/{messageId}"
            };
            return unrecognized(reason.into(), detail, Some(thread));
        }
        other => {
            return unrecognized(
                format!("no mapping for HubSpot subscription \"{}\"", capped(other)),
                detail,
                Some(thread),
            )
        }
    };
    NormalizedEvent {
        event_type,
        conversation_ref: Some(thread),
        contact: None,
        message: None,
        provider_event: ProviderEvent {
            kind,
            id: event_id.clone(),
            detail,
        },
        dedup_key: event_id,
    }
}

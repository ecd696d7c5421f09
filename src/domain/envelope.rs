//! The Standard Webhooks payload `{type, timestamp, data}` the helpdesk receives, and the same
//! envelope the events API lists.

use omnigate_connector_core::{EventType, NormalizedEvent};
use serde_json::{json, Value};

use super::channel::{Channel, StateChange};
use super::time::Timestamp;

/// The stored type of an event awaiting enrichment (a thin event whose connector declared what
/// to fetch for it): its real type is known once the provider has answered. Never forwarded:
/// the forwarder fills the event in first. Every destination filter takes it (see
/// [`super::destination::matches`]).
pub const PENDING_ENRICHMENT: &str = "enrichment.pending";

fn channel_json(channel: &Channel) -> Value {
    json!({"id": channel.id, "provider": channel.provider, "name": channel.name})
}

/// The envelope of a provider event, without the raw body (added per destination).
pub fn provider_event(
    event_id: &str,
    received_at: Timestamp,
    channel: &Channel,
    conversation_id: Option<&str>,
    ev: &NormalizedEvent,
) -> Value {
    let conversation = match (conversation_id, &ev.conversation_ref) {
        (Some(id), Some(r)) => json!({"id": id, "provider_ref": r}),
        _ => Value::Null,
    };
    let mut data = json!({
        "event_id": event_id,
        "channel": channel_json(channel),
        "conversation": conversation,
        "contact": ev.contact,
        "message": ev.message,
        "provider_event": ev.provider_event,
    });
    if ev.event_type == EventType::ProviderUnrecognized {
        // Nothing else describes an unrecognized payload, so it always carries its raw body.
        data["raw"] = Value::Null;
    }
    json!({"type": ev.event_type.as_str(), "timestamp": received_at, "data": data})
}

/// The envelope of a channel state change.
pub fn state_changed(event_id: &str, channel: &Channel, change: &StateChange) -> Value {
    json!({
        "type": EventType::ChannelStateChanged.as_str(),
        "timestamp": change.at,
        "data": {
            "event_id": event_id,
            "channel": channel_json(channel),
            "conversation": Value::Null,
            "state_change": change,
        }
    })
}

/// The envelope of a relayed reply's outcome (`message.delivered` / `message.failed`).
pub fn relay_outcome(
    event_type: EventType,
    event_id: &str,
    channel: &Channel,
    conversation: (&str, &str),
    message: (&str, &Value),
    attempts: i64,
    error: Option<(&str, &str)>,
) -> Value {
    let mut outcome = json!({"status": if event_type == EventType::MessageDelivered { "delivered" } else { "failed" }, "attempts": attempts});
    if let Some((code, detail)) = error {
        outcome["code"] = json!(code);
        outcome["message"] = json!(detail);
    }
    json!({
        "type": event_type.as_str(),
        "timestamp": Timestamp::now(),
        "data": {
            "event_id": event_id,
            "channel": channel_json(channel),
            "conversation": {"id": conversation.0, "provider_ref": conversation.1},
            "message": {"id": message.0, "direction": "outbound", "content": message.1, "origin": "omnigate"},
            "outcome": outcome,
        }
    })
}

/// The raw provider body as JSON when it parses, otherwise as a (lossy) string.
pub fn raw_value(raw: &[u8]) -> Value {
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

/// Adds `data.raw` when the destination asked for it or the envelope reserves a slot for it.
pub fn with_raw(mut envelope: Value, raw: Option<&[u8]>, include_raw: bool) -> Value {
    let reserved = envelope
        .get("data")
        .and_then(|d| d.as_object())
        .is_some_and(|d| d.contains_key("raw"));
    if let (Some(raw), true) = (raw, include_raw || reserved) {
        if let Some(data) = envelope.get_mut("data").and_then(Value::as_object_mut) {
            data.insert("raw".into(), raw_value(raw));
        }
    }
    envelope
}

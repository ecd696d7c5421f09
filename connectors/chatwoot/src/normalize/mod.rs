//! Maps Chatwoot's webhook events (account webhooks, API-channel webhooks and agent-bot
//! webhooks share one payload shape) onto the event model.
//!
//! Total by design: whatever arrives becomes at least one event, and anything no mapping
//! understands becomes `provider.unrecognized` (the gateway keeps the raw body with it),
//! attached to its conversation when one can be read. Every event of one delivery gets the
//! delivery id (`X-Chatwoot-Delivery`, unchanged across Chatwoot's retries) as its
//! `provider_event.id` and its de-duplication key. The mapping table is in the crate's README.

mod conversations;
mod fields;
mod messages;

use omnigate_connector_core::{Contact, NormalizedEvent};
use serde_json::{Map, Value};

/// Longest unknown event name kept as `provider_event.type`.
const MAX_KIND_LEN: usize = 64;
/// Longest delivery id used as a de-duplication key; Chatwoot's are UUIDs.
const MAX_DELIVERY_LEN: usize = 128;

/// Normalizes one Chatwoot webhook body delivered with `delivery` as its delivery id.
pub fn normalize(body: &[u8], delivery: Option<&str>) -> Vec<NormalizedEvent> {
    let mut events = vec![event(body)];
    identify(&mut events, delivery);
    events
}

fn event(body: &[u8]) -> NormalizedEvent {
    // serde_json refuses nesting deeper than 128 levels and invalid UTF-8, so hostile bodies
    // end here as an error rather than as a stack overflow.
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return unrecognized("invalid_json", None, None, format!("invalid JSON: {e}")),
    };
    let Some(obj) = parsed.as_object() else {
        return unrecognized(
            "invalid_json",
            None,
            None,
            "the body is not a JSON object".into(),
        );
    };
    let Some(name) = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        let conversation = fields::conversation_ref(obj, false);
        return unrecognized("unknown", conversation, None, "no \"event\" field".into());
    };
    match name {
        "message_created" => messages::created(obj),
        "conversation_created" | "conversation_opened" => conversations::opened(obj, name),
        "conversation_resolved" => conversations::resolved(obj),
        "conversation_status_changed" => conversations::status_changed(obj),
        "contact_created" | "contact_updated" => conversations::contact(obj, name),
        _ => {
            let conversation = fields::conversation_ref(obj, name.starts_with("conversation_"));
            let reason = match name {
                "message_updated" => "an edit or delivery-status change of an existing message \
                                      has no event type"
                    .to_string(),
                "conversation_updated" => "a change of assignee, labels or attributes has no \
                                           event type"
                    .to_string(),
                _ => format!("no mapping for Chatwoot event \"{}\"", capped(name)),
            };
            let contact = fields::visitor(obj);
            unrecognized(name, conversation, contact, reason)
        }
    }
}

/// Stamps each event with the delivery id: as `provider_event.id`, and as its de-duplication
/// key (suffixed with the event's index when one delivery yields several events, so they are
/// not taken for retries of each other). Without a usable delivery id nothing is
/// de-duplicated: Chatwoot versions before signed webhooks send none, and content alone
/// never identifies a retry.
fn identify(events: &mut [NormalizedEvent], delivery: Option<&str>) {
    let Some(delivery) = delivery.map(str::trim).filter(|d| plausible_id(d)) else {
        return;
    };
    let several = events.len() > 1;
    for (i, event) in events.iter_mut().enumerate() {
        event.provider_event.id = Some(delivery.to_string());
        event.dedup_key = Some(if several {
            format!("{delivery}#{i}")
        } else {
            delivery.to_string()
        });
    }
}

fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_DELIVERY_LEN
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `provider.unrecognized`, on its conversation when one is known so the helpdesk sees it in
/// context.
pub fn unrecognized(
    kind: &str,
    conversation: Option<String>,
    contact: Option<Contact>,
    reason: String,
) -> NormalizedEvent {
    let mut event = NormalizedEvent::unrecognized(capped(kind), reason);
    event.conversation_ref = conversation;
    event.contact = contact;
    event
}

fn capped(name: &str) -> String {
    name.chars().take(MAX_KIND_LEN).collect()
}

/// `detail` with `key` set to `value` unless the value is null or absent.
pub fn keep(detail: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    if let Some(v) = value.filter(|v| !v.is_null()) {
        detail.insert(key.to_string(), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnigate_connector_core::EventType;

    #[test]
    fn several_events_of_one_delivery_get_distinct_keys() {
        let mut events = vec![
            NormalizedEvent::unrecognized("a", "x"),
            NormalizedEvent::unrecognized("b", "y"),
        ];
        identify(&mut events, Some("d-1"));
        let keys: Vec<_> = events.iter().map(|e| e.dedup_key.clone()).collect();
        assert_eq!(keys, [Some("d-1#0".to_string()), Some("d-1#1".to_string())]);
        assert_eq!(events[1].provider_event.id.as_deref(), Some("d-1"));
    }

    #[test]
    fn a_missing_or_implausible_delivery_id_deduplicates_nothing() {
        for delivery in [None, Some(""), Some("a b"), Some(&*"x".repeat(129))] {
            let events = normalize(br#"{"event": "nope"}"#, delivery);
            assert_eq!(events[0].dedup_key, None, "{delivery:?}");
            assert_eq!(events[0].event_type, EventType::ProviderUnrecognized);
        }
    }
}

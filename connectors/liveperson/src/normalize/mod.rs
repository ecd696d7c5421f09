//! Maps LivePerson notifications (`{kind, type, body: {changes: [...]}}`) onto the event model:
//! each change is one event, de-duplicated by LivePerson's own ids.
//!
//! Total by design: a body no mapping understands, or a change of a kind it does not know,
//! becomes `provider.unrecognized` (the gateway keeps the raw body).

mod conversations;
mod messages;

use omnigate_connector_core::fields::capped;
use omnigate_connector_core::NormalizedEvent;
use serde_json::Value;

/// More changes than this in one notification is no batch LivePerson sends; the rest are kept
/// only in the raw body.
const MAX_CHANGES: usize = 500;

pub fn normalize(body: &[u8]) -> Vec<NormalizedEvent> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return vec![NormalizedEvent::unrecognized(
                "invalid_json",
                format!("invalid JSON: {e}"),
            )]
        }
    };
    let Some(obj) = parsed.as_object() else {
        return vec![NormalizedEvent::unrecognized(
            "invalid_json",
            "the body is not a JSON object",
        )];
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("unknown");
    let Some(changes) = obj
        .get("body")
        .and_then(|b| b.get("changes"))
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    else {
        return vec![NormalizedEvent::unrecognized(
            capped(kind),
            "no \"body.changes\" list",
        )];
    };
    changes
        .iter()
        .take(MAX_CHANGES)
        .map(|change| match (kind, change.as_object()) {
            ("ms.MessagingEventNotification", Some(c)) => messages::change(c),
            ("cqm.ExConversationChangeNotification", Some(c)) => conversations::change(c),
            (_, Some(_)) => NormalizedEvent::unrecognized(
                capped(kind),
                format!(
                    "no mapping for LivePerson notification \"{}\"",
                    capped(kind)
                ),
            ),
            (_, None) => {
                NormalizedEvent::unrecognized(capped(kind), "a change that is not an object")
            }
        })
        .collect()
}

//! Maps Tawk.to's four webhook events onto the event model. Tawk.to sends no webhook per
//! message: a chat's first message comes with `chat:start`, the whole chat with
//! `chat:transcript_created` once it is over.
//!
//! Total by design: whatever arrives becomes at least one event, and anything no mapping
//! understands becomes `provider.unrecognized` (the gateway keeps the raw body), on its chat
//! when the chat id is known. Every event of one webhook gets the `X-Hook-Event-Id` (unchanged
//! across Tawk.to's retries) as its `provider_event.id` and de-duplication key. The mapping
//! table is in the crate's README.

mod chats;
mod transcript;

use omnigate_connector_core::{Contact, NormalizedEvent};
use serde_json::{Map, Value};

const MAX_KIND_LEN: usize = 64;
/// Tawk.to's chat ids and event ids are UUIDs; a key this long is neither.
const MAX_ID_LEN: usize = 128;

/// Normalizes one Tawk.to webhook body delivered with `event_id` as its `X-Hook-Event-Id`.
pub fn normalize(body: &[u8], event_id: Option<&str>) -> Vec<NormalizedEvent> {
    let mut events = events(body);
    identify(&mut events, event_id);
    events
}

fn events(body: &[u8]) -> Vec<NormalizedEvent> {
    // serde_json refuses nesting deeper than 128 levels and invalid UTF-8, so hostile bodies
    // end here as an error rather than as a stack overflow.
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return vec![unrecognized(
                "invalid_json",
                None,
                format!("invalid JSON: {e}"),
            )]
        }
    };
    let Some(obj) = parsed.as_object() else {
        let reason = "the body is not a JSON object".to_string();
        return vec![unrecognized("invalid_json", None, reason)];
    };
    let chat = chat_id(obj);
    let Some(event) = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return vec![unrecognized("unknown", chat, "no \"event\" field".into())];
    };
    match event {
        "chat:start" => chats::start(obj, chat),
        "chat:end" => vec![chats::end(obj, chat)],
        "chat:transcript_created" => vec![transcript::transcript(obj, chat)],
        "ticket:create" => vec![chats::ticket(obj)],
        _ => {
            let reason = format!("no mapping for Tawk.to event \"{}\"", capped(event));
            vec![unrecognized(event, chat, reason)]
        }
    }
}

/// Stamps each event with the webhook's event id: as `provider_event.id`, and as its
/// de-duplication key (suffixed with the event's index when one webhook yields several events,
/// so they are not taken for retries of each other).
fn identify(events: &mut [NormalizedEvent], event_id: Option<&str>) {
    let Some(id) = event_id.map(str::trim).filter(|d| plausible_id(d)) else {
        return;
    };
    let several = events.len() > 1;
    for (i, event) in events.iter_mut().enumerate() {
        event.provider_event.id = Some(id.to_string());
        event.dedup_key = Some(if several {
            format!("{id}#{i}")
        } else {
            id.to_string()
        });
    }
}

pub fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The chat a webhook is about: `chatId` (start, end) or `chat.id` (transcript).
fn chat_id(obj: &Map<String, Value>) -> Option<String> {
    obj.get("chatId")
        .or_else(|| obj.get("chat").and_then(|c| c.get("id")))
        .and_then(Value::as_str)
        .filter(|id| plausible_id(id))
        .map(str::to_string)
}

/// The visitor as a contact. Tawk.to sends no visitor id, only `name` and `email`; a name like
/// `V1561719148780935` is the one Tawk.to generates for an anonymous visitor, not a name.
pub fn visitor(v: Option<&Value>) -> Option<Contact> {
    let v = v?.as_object()?;
    let contact = Contact {
        provider_ref: None,
        name: text(v.get("name")).filter(|n| !generated_name(n)),
        email: text(v.get("email")),
        phone: text(v.get("phone")),
    };
    (contact != Contact::default()).then_some(contact)
}

fn generated_name(name: &str) -> bool {
    name.strip_prefix('V')
        .is_some_and(|digits| digits.len() >= 10 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `provider.unrecognized`, on the chat's conversation when it is known.
pub fn unrecognized(kind: &str, chat: Option<String>, reason: String) -> NormalizedEvent {
    let mut event = NormalizedEvent::unrecognized(capped(kind), reason);
    event.conversation_ref = chat;
    event
}

fn capped(name: &str) -> String {
    name.chars().take(MAX_KIND_LEN).collect()
}

/// A non-blank string.
pub fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
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
    use serde_json::json;

    #[test]
    fn generated_visitor_names_are_not_names() {
        let c = visitor(Some(
            &json!({"name": "V1561719148780935", "email": "a@b.c"}),
        ));
        assert_eq!(c.as_ref().and_then(|c| c.name.clone()), None);
        let c = visitor(Some(&json!({"name": "Vera"})));
        assert_eq!(c.and_then(|c| c.name).as_deref(), Some("Vera"));
    }
}

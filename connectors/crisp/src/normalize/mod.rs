//! Maps Crisp's hook events (`{website_id, event, data, timestamp}`, the same for website and
//! plugin hooks) onto the event model.
//!
//! Total by design: whatever arrives becomes one event, and anything no mapping understands
//! becomes `provider.unrecognized` (the gateway keeps the raw body), on its conversation when
//! the session is known. Conversations are keyed by `data.session_id`. Messages are
//! de-duplicated by `data.fingerprint`; nothing else Crisp sends identifies a retry. The
//! mapping table is in the crate's README.

mod messages;
mod sessions;

use omnigate_connector_core::{Contact, NormalizedEvent};
use serde_json::{Map, Value};

/// Longest unknown event name kept as `provider_event.type`.
const MAX_KIND_LEN: usize = 64;
/// Crisp session ids are `session_` and a UUID; a key this long is no session id, and the
/// key ends up in the reply URL's path.
const MAX_SESSION_LEN: usize = 128;

/// What every Crisp event carries, read once for the mappers.
pub struct Envelope<'a> {
    pub event: &'a str,
    pub data: &'a Map<String, Value>,
    pub session: Option<String>,
}

/// Normalizes one Crisp hook body for the channel of website `website_id`.
pub fn normalize(body: &[u8], website_id: Option<&str>) -> NormalizedEvent {
    // serde_json refuses nesting deeper than 128 levels and invalid UTF-8, so hostile bodies
    // end here as an error rather than as a stack overflow.
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return unrecognized("invalid_json", None, format!("invalid JSON: {e}")),
    };
    let Some(obj) = parsed.as_object() else {
        return unrecognized("invalid_json", None, "the body is not a JSON object".into());
    };
    let Some(event) = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return unrecognized("unknown", None, "no \"event\" field".into());
    };
    let empty = Map::new();
    let data = obj.get("data").and_then(Value::as_object).unwrap_or(&empty);

    // Plugin hooks deliver every website that installed the plugin to one URL. An event for
    // another website must not open a conversation on this channel (replies would go to the
    // wrong website), so it is kept without one.
    let hook_website = data
        .get("website_id")
        .or_else(|| obj.get("website_id"))
        .and_then(Value::as_str);
    if let (Some(hook), Some(own)) = (hook_website, website_id) {
        if !hook.eq_ignore_ascii_case(own) {
            let reason = format!(
                "an event of website {}, not of this channel's website {own}",
                capped(hook)
            );
            return unrecognized(event, None, reason);
        }
    }

    let env = Envelope {
        event,
        data,
        session: session(data),
    };
    match event {
        "message:send" | "message:received" => messages::message(&env),
        "session:request:initiated" | "session:set_state" | "session:removed" => {
            sessions::lifecycle(&env)
        }
        "session:set_email" | "session:set_nickname" | "session:set_phone" => {
            sessions::profile(&env)
        }
        _ => unrecognized(
            event,
            env.session,
            format!("no mapping for Crisp event \"{}\"", capped(event)),
        ),
    }
}

fn session(data: &Map<String, Value>) -> Option<String> {
    data.get("session_id")
        .and_then(Value::as_str)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= MAX_SESSION_LEN
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .map(str::to_string)
}

/// The visitor of a session: the session is Crisp's key for them.
pub fn visitor(session: &str) -> Contact {
    Contact {
        provider_ref: Some(session.to_string()),
        ..Contact::default()
    }
}

/// `provider.unrecognized`, on the session's conversation when it is known.
pub fn unrecognized(kind: &str, session: Option<String>, reason: String) -> NormalizedEvent {
    let mut event = NormalizedEvent::unrecognized(capped(kind), reason);
    event.contact = session.as_deref().map(visitor);
    event.conversation_ref = session;
    event
}

pub fn capped(name: &str) -> String {
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

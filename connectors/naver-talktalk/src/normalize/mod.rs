//! Maps Naver's webhook events onto the event model.
//!
//! Total by design: Naver never retries a webhook and blocks an endpoint that keeps failing, so
//! whatever arrives becomes exactly one event, and anything no mapping understands becomes
//! `provider.unrecognized` (the gateway keeps the raw body with it). This module reads the
//! envelope every event shares (`event`, `user`, `options`, `messageId`) and hands the rest to
//! one module per family of events; the mapping table is in the crate's README.

mod composite;
mod content;
mod detail;
mod fields;
mod handover;
mod lifecycle;
mod messages;
mod payment;
mod profile;

use omnigate_connector_core::{Contact, EventType, Message, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

use detail::Common;

/// Longest `user` id accepted as a conversation key. Naver's are 22 characters (32 before 2017);
/// anything far longer is not a Naver id and must not become a stored key.
const MAX_USER_LEN: usize = 256;

/// Longest unknown event name kept as `provider_event.type`, so a hostile body cannot make the
/// stored event type arbitrarily large.
const MAX_KIND_LEN: usize = 64;

/// Longest string `messageId` accepted. Naver's are small integers; a long string would make an
/// unbounded dedup key.
const MAX_MESSAGE_ID_LEN: usize = 64;

/// What every Naver event carries, read once for all mappers.
pub struct Envelope<'a> {
    pub obj: &'a Map<String, Value>,
    pub event: &'a str,
    /// `options`, or an empty map when it is absent or not an object.
    pub options: &'a Map<String, Value>,
    /// The undocumented per-chat sequence number, as a string.
    pub message_id: Option<String>,
}

/// What a mapper made of a known event; the envelope adds the user, ids and common detail.
pub struct Mapped {
    pub event_type: EventType,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub message: Option<Message>,
    pub detail: Map<String, Value>,
}

impl Mapped {
    pub fn new(event_type: EventType, detail: Map<String, Value>) -> Self {
        Mapped {
            event_type,
            contact_name: None,
            contact_phone: None,
            message: None,
            detail,
        }
    }
}

/// A mapper's answer: the mapping, or why a known event lacks what it needs.
pub type Outcome = Result<Mapped, String>;

/// Normalizes one Naver webhook body.
pub fn normalize(body: &[u8]) -> NormalizedEvent {
    // serde_json refuses nesting deeper than 128 levels and invalid UTF-8, so hostile bodies end
    // here as an error rather than as a stack overflow.
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return unrecognized("invalid_json", None, None, e.to_string()),
    };
    let Some(obj) = parsed.as_object() else {
        return unrecognized(
            "invalid_json",
            None,
            None,
            "the body is not a JSON object".into(),
        );
    };
    let user = plausible_user(obj);
    let message_id = obj.get("messageId").and_then(message_id);
    let Some(event) = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return unrecognized("unknown", user, message_id, "no \"event\" field".into());
    };
    let Some(user) = user else {
        return unrecognized(event, None, message_id, "no usable \"user\" field".into());
    };
    let empty = Map::new();
    let options = fields::object(obj, "options").unwrap_or(&empty);
    let env = Envelope {
        obj,
        event,
        options,
        message_id,
    };

    let outcome = match event {
        "open" => lifecycle::open(&env),
        "leave" => lifecycle::leave(&env),
        "friend" => lifecycle::friend(&env),
        "send" => messages::send(&env),
        "echo" => messages::echo(&env),
        "handover" => handover::handover(&env),
        "profile" => profile::profile(&env),
        "pay_complete" => payment::complete(&env),
        "pay_confirm" => payment::confirm(&env),
        _ => Err(format!("no mapping for Naver event \"{}\"", capped(event))),
    };
    match outcome {
        Ok(mapped) => build(&env, user, mapped),
        Err(reason) => unrecognized(event, Some(user), env.message_id, reason),
    }
}

fn build(env: &Envelope<'_>, user: &str, mapped: Mapped) -> NormalizedEvent {
    let mut detail = mapped.detail;
    detail.extend(detail::to_map(&Common::read(env.obj, env.options)));
    NormalizedEvent {
        event_type: mapped.event_type,
        conversation_ref: Some(user.to_string()),
        contact: Some(Contact {
            provider_ref: Some(user.to_string()),
            name: mapped.contact_name,
            email: None,
            phone: mapped.contact_phone,
        }),
        message: mapped.message,
        provider_event: ProviderEvent {
            kind: env.event.to_string(),
            id: env.message_id.clone(),
            detail,
        },
        // messageId is a per-chat sequence number, so it only identifies an event together
        // with the user and the event kind. Without it nothing is de-duplicated: a visitor may
        // legitimately send the same text twice.
        dedup_key: env
            .message_id
            .as_ref()
            .map(|id| format!("{user}:{}:{id}", env.event)),
    }
}

/// `provider.unrecognized`, attached to the user's conversation when the user is known so the
/// helpdesk sees it in context.
fn unrecognized(
    kind: &str,
    user: Option<&str>,
    message_id: Option<String>,
    reason: String,
) -> NormalizedEvent {
    let mut event = NormalizedEvent::unrecognized(capped(kind), reason);
    event.provider_event.id = message_id;
    if let Some(user) = user {
        event.conversation_ref = Some(user.to_string());
        event.contact = Some(Contact {
            provider_ref: Some(user.to_string()),
            ..Contact::default()
        });
    }
    event
}

/// The `user` id when it can be a Naver user id: a non-empty string of sane length without
/// control characters.
fn plausible_user(obj: &Map<String, Value>) -> Option<&str> {
    obj.get("user")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty() && u.len() <= MAX_USER_LEN && !u.chars().any(char::is_control))
}

/// `messageId` is a number in every capture; a string is accepted in case that changes.
fn message_id(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= MAX_MESSAGE_ID_LEN => Some(s.clone()),
        _ => None,
    }
}

fn capped(name: &str) -> String {
    name.chars().take(MAX_KIND_LEN).collect()
}

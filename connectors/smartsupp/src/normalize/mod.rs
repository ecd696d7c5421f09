//! Maps Smartsupp's webhook envelope (`{type, event, timestamp, account_id, app_id, data}`) onto
//! the event model.
//!
//! Total by design: whatever arrives becomes one event, and anything no mapping understands
//! becomes `provider.unrecognized` (the gateway keeps the raw body). Conversations are keyed by
//! `data.conversation.id` (or the message's `conversation_id`). Smartsupp documents the envelope
//! and the event names; the `data` shapes follow a production integration (see the README), so
//! they are read tolerantly. A contact's message or a new conversation that names its contact by
//! id only is marked `detail.thin`: the gateway reads the contact before forwarding it.

mod conversation;
mod messages;

use omnigate_connector_core::fields::{capped, id, keep, text};
use omnigate_connector_core::{Contact, EventType, Message, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

/// What every Smartsupp event carries, read once for the mappers.
pub struct Envelope<'a> {
    pub event: &'a str,
    pub data: &'a Map<String, Value>,
    pub conversation: &'a Map<String, Value>,
    pub message: Option<&'a Map<String, Value>>,
    pub conversation_id: Option<String>,
    /// The envelope's own timestamp: with the event and conversation, what identifies a
    /// delivery of an event that has no id of its own.
    pub timestamp: Option<String>,
    pub detail: Map<String, Value>,
}

pub fn normalize(body: &[u8]) -> NormalizedEvent {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return NormalizedEvent::unrecognized("invalid_json", format!("invalid JSON: {e}"))
        }
    };
    let Some(obj) = parsed.as_object() else {
        return NormalizedEvent::unrecognized("invalid_json", "the body is not a JSON object");
    };
    let Some(event) = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return NormalizedEvent::unrecognized("unknown", "no \"event\" field");
    };
    let empty = Map::new();
    let data = obj.get("data").and_then(Value::as_object).unwrap_or(&empty);
    let conversation = data
        .get("conversation")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let message = data.get("message").and_then(Value::as_object);
    let conversation_id = id(conversation.get("id"))
        .or_else(|| message.and_then(|m| id(m.get("conversation_id"))))
        .or_else(|| id(data.get("conversation_id")));
    let mut detail = Map::new();
    for key in ["account_id", "app_id", "timestamp"] {
        keep(&mut detail, key, obj.get(key));
    }
    let env = Envelope {
        event,
        data,
        conversation,
        message,
        conversation_id,
        timestamp: text(obj.get("timestamp")),
        detail,
    };
    match event {
        "conversation.contact_replied"
        | "conversation.agent_replied"
        | "conversation.bot_replied" => messages::message(&env),
        "conversation.message_delivered" | "conversation.message_delivery_failed" => {
            messages::delivery(&env)
        }
        "conversation.opened"
        | "conversation.closed"
        | "conversation.closed_by_contact"
        | "conversation.rated"
        | "conversation.agent_assigned"
        | "conversation.agent_unassigned"
        | "conversation.agent_joined"
        | "conversation.agent_left" => conversation::lifecycle(&env),
        "contact.created" | "contact.updated" => conversation::contact(&env),
        _ => unrecognized(
            &env,
            format!("no mapping for Smartsupp event \"{}\"", capped(event)),
        ),
    }
}

/// The contact id the event names (Smartsupp's key for a contact).
fn contact_id(env: &Envelope<'_>) -> Option<String> {
    id(env.conversation.get("contact_id"))
        .or_else(|| env.message.and_then(|m| id(m.get("contact_id"))))
}

/// The visitor of the conversation, as far as the event tells: the contact id (Smartsupp's
/// key for them), and the author name of a contact message.
pub fn visitor(env: &Envelope<'_>) -> Option<Contact> {
    let contact_id = contact_id(env);
    let visitor_id = id(env.conversation.get("visitor_id"));
    let provider_ref = contact_id.or(visitor_id)?;
    Some(Contact {
        provider_ref: Some(provider_ref),
        ..Contact::default()
    })
}

/// One event on the envelope's conversation.
pub fn event(
    env: &Envelope<'_>,
    event_type: EventType,
    contact: Option<Contact>,
    message: Option<Message>,
    mut detail: Map<String, Value>,
    id: Option<String>,
) -> NormalizedEvent {
    // A contact's message or a new conversation that names the contact by id only: the
    // gateway reads the contact (crate::enrich) before forwarding it.
    let named_by_id = contact.as_ref().is_some_and(|c| {
        c.name.is_none() && c.provider_ref.is_some() && c.provider_ref == contact_id(env)
    });
    if named_by_id
        && matches!(
            event_type,
            EventType::MessageReceived | EventType::ConversationOpened
        )
    {
        detail.insert("thin".into(), Value::Bool(true));
    }
    let dedup_key = match &id {
        Some(id) => Some(format!("{}:{id}", env.event)),
        None => env.timestamp.as_ref().map(|ts| {
            format!(
                "{}:{}:{ts}",
                env.event,
                env.conversation_id.as_deref().unwrap_or("-")
            )
        }),
    };
    NormalizedEvent {
        event_type,
        conversation_ref: env.conversation_id.clone(),
        contact,
        message,
        provider_event: ProviderEvent {
            kind: env.event.to_string(),
            id,
            detail,
        },
        dedup_key,
    }
}

/// `provider.unrecognized`, on the conversation when it is known; still de-duplicated.
pub fn unrecognized(env: &Envelope<'_>, reason: String) -> NormalizedEvent {
    let mut e = NormalizedEvent::unrecognized(capped(env.event), reason);
    let keyed = event(
        env,
        EventType::ProviderUnrecognized,
        None,
        None,
        Map::new(),
        None,
    );
    e.dedup_key = keyed.dedup_key;
    e.contact = visitor(env);
    e.conversation_ref = env.conversation_id.clone();
    e
}

//! Maps Tidio's webhook envelope (`{created_at, project_public_key, topic, version, webhook_id,
//! content}`) onto the event model.
//!
//! Total by design: whatever arrives becomes one event, and anything no mapping understands
//! becomes `provider.unrecognized` (the gateway keeps the raw body). Conversations are keyed
//! by the contact id (`content.contact_id`, or `content.id` of a contact event), and every
//! event is de-duplicated by the envelope's `webhook_id`. Tidio documents the envelope and the
//! contact shape; the `conversation.*` content shapes are not published, so those mappings read
//! the fields tolerantly and fall back to `provider.unrecognized` when no contact id is found.

mod conversation;

pub use omnigate_connector_core::fields::{capped, id, keep, text};
use omnigate_connector_core::{Contact, EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

/// What every Tidio webhook carries, read once for the mappers.
pub struct Envelope<'a> {
    pub topic: &'a str,
    pub webhook_id: Option<String>,
    pub content: &'a Map<String, Value>,
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
    let Some(topic) = obj
        .get("topic")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return NormalizedEvent::unrecognized("unknown", "no \"topic\" field");
    };
    let empty = Map::new();
    let content = obj
        .get("content")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut detail = Map::new();
    for key in ["project_public_key", "created_at", "version"] {
        keep(&mut detail, key, obj.get(key));
    }
    let env = Envelope {
        topic,
        webhook_id: id(obj.get("webhook_id")),
        content,
        detail,
    };
    match topic {
        "contact.created" | "contact.updated" => contact_event(env),
        "conversation.operator_replied" => conversation::operator_replied(env),
        "conversation.solved_by_operator" | "conversation.solved_automatically" => {
            conversation::solved(env)
        }
        t if t.starts_with("ticket.") => unrecognized(
            &env,
            None,
            "a Tidio ticket (e-mail-like), not a live chat".into(),
        ),
        _ => unrecognized(
            &env,
            None,
            format!("no mapping for Tidio topic \"{}\"", capped(topic)),
        ),
    }
}

fn contact_event(env: Envelope<'_>) -> NormalizedEvent {
    let Some(contact_id) = id(env.content.get("id")) else {
        return unrecognized(&env, None, "a contact event without a contact id".into());
    };
    let mut detail = env.detail.clone();
    for key in ["distinct_id", "properties"] {
        keep(&mut detail, key, env.content.get(key));
    }
    let contact = contact_of(env.content, &contact_id);
    event(
        &env,
        EventType::ContactUpdated,
        contact_id,
        Some(contact),
        None,
        detail,
    )
}

/// A contact from a Tidio contact object, keyed by `contact_id`.
pub fn contact_of(c: &Map<String, Value>, contact_id: &str) -> Contact {
    let first = text(c.get("first_name"));
    let last = text(c.get("last_name"));
    let name = match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l).or_else(|| text(c.get("name"))),
    };
    Contact {
        provider_ref: Some(contact_id.to_string()),
        name,
        email: text(c.get("email")),
        phone: text(c.get("phone")),
    }
}

/// One event of the envelope, keyed by the conversation of `contact_id`.
pub fn event(
    env: &Envelope<'_>,
    event_type: EventType,
    contact_id: String,
    contact: Option<Contact>,
    message: Option<omnigate_connector_core::Message>,
    detail: Map<String, Value>,
) -> NormalizedEvent {
    NormalizedEvent {
        event_type,
        conversation_ref: Some(contact_id.clone()),
        contact: contact.or_else(|| {
            Some(Contact {
                provider_ref: Some(contact_id),
                ..Contact::default()
            })
        }),
        message,
        provider_event: ProviderEvent {
            kind: env.topic.to_string(),
            id: env.webhook_id.clone(),
            detail,
        },
        dedup_key: env.webhook_id.clone(),
    }
}

/// `provider.unrecognized` for the envelope, on the contact's conversation when known.
pub fn unrecognized(
    env: &Envelope<'_>,
    contact_id: Option<String>,
    reason: String,
) -> NormalizedEvent {
    let mut event = NormalizedEvent::unrecognized(capped(env.topic), reason);
    event.provider_event.id = env.webhook_id.clone();
    event.dedup_key = env.webhook_id.clone();
    event.contact = contact_id.as_ref().map(|c| Contact {
        provider_ref: Some(c.clone()),
        ..Contact::default()
    });
    event.conversation_ref = contact_id;
    event
}

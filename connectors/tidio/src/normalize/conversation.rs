//! `conversation.*` topics: an operator's reply (shown to the visitor, so a `message.echo`, never
//! a visitor message) and a solved conversation. Tidio does not publish these contents; the
//! contact id is read from `contact_id` or `contact.id`, the text from `message` (a string, or
//! an object with `message`/`text`/`content`).

use omnigate_connector_core::{Content, Direction, EventType, Message, NormalizedEvent};
use serde_json::{Map, Value};

use super::{contact_of, event, id, keep, text, unrecognized, Envelope};

fn contact_id(content: &Map<String, Value>) -> Option<String> {
    id(content.get("contact_id")).or_else(|| id(content.get("contact").and_then(|c| c.get("id"))))
}

fn contact(env: &Envelope<'_>, contact_id: &str) -> omnigate_connector_core::Contact {
    match env.content.get("contact").and_then(Value::as_object) {
        Some(c) => contact_of(c, contact_id),
        None => contact_of(&Map::new(), contact_id),
    }
}

pub fn operator_replied(env: Envelope<'_>) -> NormalizedEvent {
    let Some(contact_id) = contact_id(env.content) else {
        return unrecognized(&env, None, "an operator reply without a contact id".into());
    };
    let message = env.content.get("message");
    let obj = message.and_then(Value::as_object);
    let body = text(message).or_else(|| {
        obj.and_then(|m| {
            text(m.get("message"))
                .or_else(|| text(m.get("text")))
                .or_else(|| text(m.get("content")))
        })
    });
    let content = match body {
        Some(text) => Content::Text { text },
        None => Content::Unsupported {
            provider_type: "unknown".into(),
        },
    };
    let mut detail = env.detail.clone();
    for key in ["operator_id", "operator"] {
        keep(&mut detail, key, env.content.get(key));
    }
    let message_id = obj
        .and_then(|m| id(m.get("id")))
        .or_else(|| env.webhook_id.clone());
    let message = Message {
        id: message_id,
        direction: Direction::Outbound,
        content,
        origin: Some("provider".into()),
    };
    let contact = contact(&env, &contact_id);
    event(
        &env,
        EventType::MessageEcho,
        contact_id,
        Some(contact),
        Some(message),
        detail,
    )
}

pub fn solved(env: Envelope<'_>) -> NormalizedEvent {
    let Some(contact_id) = contact_id(env.content) else {
        return unrecognized(
            &env,
            None,
            "a solved conversation without a contact id".into(),
        );
    };
    let mut detail = env.detail.clone();
    detail.insert(
        "automatic".into(),
        Value::Bool(env.topic == "conversation.solved_automatically"),
    );
    keep(&mut detail, "operator_id", env.content.get("operator_id"));
    let contact = contact(&env, &contact_id);
    event(
        &env,
        EventType::ConversationClosed,
        contact_id,
        Some(contact),
        None,
        detail,
    )
}

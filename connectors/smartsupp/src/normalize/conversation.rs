//! A conversation's lifecycle (opened, closed, rated, agents assigned or leaving) and contact
//! details.

use omnigate_connector_core::fields::{id, keep, text};
use omnigate_connector_core::{Contact, EventType, NormalizedEvent};
use serde_json::Value;

use super::{event, unrecognized, visitor, Envelope};

pub fn lifecycle(env: &Envelope<'_>) -> NormalizedEvent {
    if env.conversation_id.is_none() {
        return unrecognized(env, "a conversation event without a conversation id".into());
    }
    let mut detail = env.detail.clone();
    for key in ["status", "assigned_agent_ids", "channel", "domain"] {
        keep(&mut detail, key, env.conversation.get(key));
    }
    let event_type = match env.event {
        "conversation.opened" => EventType::ConversationOpened,
        "conversation.closed" | "conversation.closed_by_contact" => {
            detail.insert(
                "closed_by".into(),
                Value::from(if env.event == "conversation.closed" {
                    "agent"
                } else {
                    "contact"
                }),
            );
            for key in ["close_type", "agent_id"] {
                keep(&mut detail, key, env.data.get(key));
            }
            EventType::ConversationClosed
        }
        "conversation.rated" => {
            for key in ["rating_value", "rating_text"] {
                keep(&mut detail, key, env.data.get(key));
            }
            EventType::FeedbackReceived
        }
        // agent_assigned / agent_unassigned / agent_joined / agent_left
        _ => {
            let action = env.event.trim_start_matches("conversation.");
            detail.insert("action".into(), Value::from(action));
            for key in ["assigned", "agent_id", "agent"] {
                keep(&mut detail, key, env.data.get(key));
            }
            EventType::ConversationHandover
        }
    };
    event(env, event_type, visitor(env), None, detail, None)
}

/// `contact.*`: the contact object in `data.contact` (or `data` itself).
pub fn contact(env: &Envelope<'_>) -> NormalizedEvent {
    let c = env
        .data
        .get("contact")
        .and_then(Value::as_object)
        .unwrap_or(env.data);
    let Some(contact_id) = id(c.get("id")) else {
        return unrecognized(env, "a contact event without a contact id".into());
    };
    let contact = Contact {
        provider_ref: Some(contact_id),
        name: text(c.get("name")),
        email: text(c.get("email")),
        phone: text(c.get("phone")),
    };
    let mut detail = env.detail.clone();
    for key in ["variables", "tags", "note"] {
        keep(&mut detail, key, c.get(key));
    }
    event(
        env,
        EventType::ContactUpdated,
        Some(contact),
        None,
        detail,
        None,
    )
}

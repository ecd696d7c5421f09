//! Session (conversation) events: started, state changes, removed, and the visitor's profile
//! fields. Crisp's states are `pending`, `unresolved` and `resolved`: `resolved` closes the
//! conversation, the other two mean it is open (a documented choice, see the README).

use omnigate_connector_core::{EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

use super::{keep, text, unrecognized, visitor, Envelope};

fn event(
    env: &Envelope<'_>,
    session: String,
    event_type: EventType,
    detail: Map<String, Value>,
) -> NormalizedEvent {
    NormalizedEvent {
        event_type,
        contact: Some(visitor(&session)),
        conversation_ref: Some(session),
        message: None,
        provider_event: ProviderEvent {
            kind: env.event.to_string(),
            id: None,
            detail,
        },
        // Crisp gives session events no id; repeating an open or a close is harmless, and
        // content never identifies a retry.
        dedup_key: None,
    }
}

pub fn lifecycle(env: &Envelope<'_>) -> NormalizedEvent {
    let Some(session) = env.session.clone() else {
        return unrecognized(env.event, None, "no usable \"session_id\"".into());
    };
    let mut detail = Map::new();
    keep(&mut detail, "inbox_id", env.data.get("inbox_id"));
    let event_type = match env.event {
        "session:request:initiated" => EventType::ConversationOpened,
        "session:removed" => {
            detail.insert("removed".into(), Value::Bool(true));
            EventType::ConversationClosed
        }
        _ => {
            let state = env.data.get("state").and_then(Value::as_str);
            keep(&mut detail, "state", env.data.get("state"));
            match state {
                Some("resolved") => EventType::ConversationClosed,
                Some("unresolved") | Some("pending") => EventType::ConversationOpened,
                Some(other) => {
                    let other: String = other.chars().take(32).collect();
                    let reason = format!("state \"{other}\" has no event type");
                    return unrecognized(env.event, Some(session), reason);
                }
                None => return unrecognized(env.event, Some(session), "no \"state\"".into()),
            }
        }
    };
    event(env, session, event_type, detail)
}

/// `session:set_email`, `session:set_nickname`, `session:set_phone`: the visitor told Crisp
/// who they are.
pub fn profile(env: &Envelope<'_>) -> NormalizedEvent {
    let Some(session) = env.session.clone() else {
        return unrecognized(env.event, None, "no usable \"session_id\"".into());
    };
    let field = match env.event {
        "session:set_email" => "email",
        "session:set_nickname" => "nickname",
        _ => "phone",
    };
    let Some(value) = text(env.data.get(field)) else {
        return unrecognized(env.event, Some(session), format!("no \"{field}\""));
    };
    let mut contact = visitor(&session);
    match field {
        "email" => contact.email = Some(value),
        "nickname" => contact.name = Some(value),
        _ => contact.phone = Some(value),
    }
    let mut e = event(env, session, EventType::ContactUpdated, Map::new());
    e.contact = Some(contact);
    e
}

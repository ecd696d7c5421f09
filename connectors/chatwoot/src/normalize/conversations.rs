//! Conversation lifecycle and contact events. A conversation payload is Chatwoot's
//! conversation itself: its `id` is the per-account display id, its visitor is `meta.sender`.
//!
//! Status mapping (a documented choice, see the README): `resolved` closes the conversation,
//! `open` (a new or re-opened conversation, or one a bot handed to the agents) opens it;
//! `pending` (with a bot) and `snoozed` have no event type and stay `provider.unrecognized`.

use omnigate_connector_core::{EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

use super::fields::{contact_from, conversation_ref, object, visitor};
use super::{keep, unrecognized};

fn conversation_detail(obj: &Map<String, Value>) -> Map<String, Value> {
    let mut detail = Map::new();
    for key in [
        "status",
        "inbox_id",
        "channel",
        "can_reply",
        "additional_attributes",
    ] {
        keep(&mut detail, key, obj.get(key));
    }
    if let Some(assignee) = object(obj, "meta").and_then(|m| m.get("assignee")) {
        keep(&mut detail, "assignee", Some(assignee));
    }
    detail
}

fn conversation_event(
    obj: &Map<String, Value>,
    kind: &str,
    event_type: EventType,
    mut detail: Map<String, Value>,
) -> NormalizedEvent {
    let Some(conversation) = conversation_ref(obj, true) else {
        return unrecognized(kind, None, visitor(obj), "no conversation id".into());
    };
    detail.extend(conversation_detail(obj));
    NormalizedEvent {
        event_type,
        conversation_ref: Some(conversation),
        contact: visitor(obj),
        message: None,
        provider_event: ProviderEvent {
            kind: kind.to_string(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

/// `conversation_created` (account webhooks) and `conversation_opened` (agent bots).
pub fn opened(obj: &Map<String, Value>, kind: &str) -> NormalizedEvent {
    conversation_event(obj, kind, EventType::ConversationOpened, Map::new())
}

/// `conversation_resolved` (agent bots). The payload's `status` may still read `open` (it does
/// in Chatwoot's own example), so the event name decides.
pub fn resolved(obj: &Map<String, Value>) -> NormalizedEvent {
    let mut detail = Map::new();
    detail.insert("resolved".into(), Value::Bool(true));
    conversation_event(
        obj,
        "conversation_resolved",
        EventType::ConversationClosed,
        detail,
    )
}

/// The previous status, when Chatwoot says (`changed_attributes: [{"status":
/// {"previous_value", "current_value"}}]` in newer versions).
fn previous_status(obj: &Map<String, Value>) -> Option<&Value> {
    obj.get("changed_attributes")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|c| c.get("status")?.get("previous_value"))
}

pub fn status_changed(obj: &Map<String, Value>) -> NormalizedEvent {
    const KIND: &str = "conversation_status_changed";
    let status = obj.get("status").and_then(Value::as_str);
    let event_type = match status {
        Some("resolved") => EventType::ConversationClosed,
        Some("open") => EventType::ConversationOpened,
        other => {
            let reason = match other {
                Some(s) => format!(
                    "status \"{}\" has no event type",
                    s.chars().take(32).collect::<String>()
                ),
                None => "no \"status\"".to_string(),
            };
            return unrecognized(KIND, conversation_ref(obj, true), visitor(obj), reason);
        }
    };
    let mut detail = Map::new();
    keep(&mut detail, "previous_status", previous_status(obj));
    conversation_event(obj, KIND, event_type, detail)
}

/// `contact_created` / `contact_updated`: the payload is the contact. It belongs to no one
/// conversation.
pub fn contact(obj: &Map<String, Value>, kind: &str) -> NormalizedEvent {
    let Some(contact) = contact_from(obj).filter(|c| c.provider_ref.is_some()) else {
        return unrecognized(kind, None, None, "no contact id".into());
    };
    let mut detail = Map::new();
    for key in [
        "identifier",
        "additional_attributes",
        "custom_attributes",
        "thumbnail",
        "account",
        "changed_attributes",
    ] {
        keep(&mut detail, key, obj.get(key));
    }
    NormalizedEvent {
        event_type: EventType::ContactUpdated,
        conversation_ref: None,
        contact: Some(contact),
        message: None,
        provider_event: ProviderEvent {
            kind: kind.to_string(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

//! Conversation lifecycle: `conversation:create`, `conversation:remove`, and the switchboard's
//! hand-overs between integrations (bot, Zendesk agents, a custom integration).

use omnigate_connector_core::EventType;
use serde_json::{Map, Value};

use super::message::user_contact;
use super::{without, Mapped};

/// `conversation:create`: the visitor started a conversation. `creationReason`, `source` and the
/// user's `externalId` (the business's own user id) stay in the detail.
pub fn created(payload: &Map<String, Value>) -> Mapped {
    Mapped {
        event_type: EventType::ConversationOpened,
        contact: user_contact(None, payload.get("user")),
        message: None,
        detail: without(payload, &["conversation"]),
    }
}

/// `conversation:remove`: the conversation was deleted. Sunshine has no "closed" event (closing is
/// a Zendesk ticket concept), and a deleted conversation has certainly ended.
pub fn removed(payload: &Map<String, Value>) -> Mapped {
    let mut detail = without(payload, &["conversation"]);
    detail.insert("removed".into(), Value::Bool(true));
    Mapped {
        event_type: EventType::ConversationClosed,
        contact: None,
        message: None,
        detail,
    }
}

/// `switchboard:passControl`, `releaseControl`, `offerControl`, `acceptControl` and any later
/// switchboard action: `control` is the action's name; `metadata`, `reason` and whatever else the
/// payload carries stay under Sunshine's names. Which integration holds control now is
/// `detail.conversation.activeSwitchboardIntegration`.
pub fn handover(kind: &str, payload: &Map<String, Value>) -> Mapped {
    let mut detail = without(payload, &["conversation"]);
    let control = kind.trim_start_matches("switchboard:");
    detail.insert("control".into(), Value::String(control.to_string()));
    Mapped {
        event_type: EventType::ConversationHandover,
        contact: user_contact(None, payload.get("user")),
        message: None,
        detail,
    }
}

//! `cqm.ExConversationChangeNotification` changes: the conversation's whole state after a
//! change. `state: CLOSE` is `conversation.closed` (with the close reason); `OPEN` is
//! `conversation.opened` while only the consumer takes part and `conversation.handover` once an
//! agent is assigned (each participant list is kept). De-duplicated by the conversation id and
//! `metaDataLastUpdateTs`, which LivePerson moves on every change.

use omnigate_connector_core::fields::{capped, id, keep};
use omnigate_connector_core::{Contact, EventType, NormalizedEvent, ProviderEvent};
use serde_json::{Map, Value};

const KIND: &str = "cqm.ExConversationChangeNotification";

pub fn change(c: &Map<String, Value>) -> NormalizedEvent {
    let result = c.get("result").and_then(Value::as_object);
    let conversation = result.and_then(|r| id(r.get("convId")));
    let details = result
        .and_then(|r| r.get("conversationDetails"))
        .and_then(Value::as_object);
    let updated = details
        .and_then(|d| d.get("metaDataLastUpdateTs"))
        .and_then(Value::as_i64);
    let key = match (&conversation, updated) {
        (Some(conv), Some(ts)) => Some(format!("{conv}:{ts}")),
        _ => None,
    };
    let change_type = c.get("type").and_then(Value::as_str).unwrap_or("");
    let state = details
        .and_then(|d| d.get("state"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let participants = details
        .and_then(|d| d.get("participants"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let with_role = |role: &str| {
        participants
            .iter()
            .find(|p| p.get("role").and_then(Value::as_str) == Some(role))
            .and_then(|p| id(p.get("id")))
    };
    let (Some(conversation_ref), true) = (conversation.clone(), change_type == "UPSERT") else {
        let mut e = NormalizedEvent::unrecognized(
            KIND,
            format!(
                "a \"{}\" change without a conversation to map",
                capped(change_type)
            ),
        );
        e.conversation_ref = conversation;
        e.dedup_key = key;
        return e;
    };
    let mut detail = Map::new();
    if let Some(d) = details {
        for k in [
            "state",
            "participants",
            "brandId",
            "startTs",
            "endTs",
            "closeReason",
            "skillId",
            "ttr",
        ] {
            keep(&mut detail, k, d.get(k));
        }
    }
    let agent = with_role("ASSIGNED_AGENT");
    let event_type = match (state, &agent) {
        ("CLOSE", _) => EventType::ConversationClosed,
        (_, Some(agent)) => {
            detail.insert("assigned_agent".into(), Value::String(agent.clone()));
            EventType::ConversationHandover
        }
        _ => EventType::ConversationOpened,
    };
    NormalizedEvent {
        event_type,
        conversation_ref: Some(conversation_ref),
        contact: with_role("CONSUMER").map(|consumer| Contact {
            provider_ref: Some(consumer),
            ..Contact::default()
        }),
        message: None,
        provider_event: ProviderEvent {
            kind: KIND.to_string(),
            id: key.clone(),
            detail,
        },
        dedup_key: key,
    }
}

//! A thin event's envelope before and after enrichment (pure): marked pending at ingest, read
//! back into the connector's event model, and rewritten with the filled-in event and the
//! outcome in `provider_event.detail.enrichment`.

use omnigate_connector_core::{Contact, EventType, Message, NormalizedEvent, ProviderEvent};
use serde::Deserialize;
use serde_json::{json, Value};

const STATUS: &str = "/data/provider_event/detail/enrichment/status";

/// Marks a freshly built envelope as awaiting enrichment.
pub fn mark_pending(envelope: &mut Value) {
    set_outcome(envelope, json!({"status": "pending"}));
}

/// Whether the envelope still awaits enrichment.
pub fn is_pending(envelope: &Value) -> bool {
    envelope.pointer(STATUS).and_then(Value::as_str) == Some("pending")
}

fn set_outcome(envelope: &mut Value, outcome: Value) {
    let Some(event) = envelope
        .pointer_mut("/data/provider_event")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let detail = event
        .entry("detail")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(detail) = detail.as_object_mut() {
        detail.insert("enrichment".into(), outcome);
    }
}

/// The event an envelope was built from, as its connector made it (without the enrichment
/// mark), or `None` when the envelope is not one of a provider event.
pub fn normalized(envelope: &Value) -> Option<NormalizedEvent> {
    let data = envelope.get("data")?;
    let field = |name: &str| data.get(name).filter(|v| !v.is_null());
    let mut provider_event = ProviderEvent::deserialize(field("provider_event")?).ok()?;
    provider_event.detail.remove("enrichment");
    Some(NormalizedEvent {
        event_type: EventType::parse(envelope.get("type")?.as_str()?)?,
        conversation_ref: field("conversation")
            .and_then(|c| c.get("provider_ref"))
            .and_then(Value::as_str)
            .map(str::to_string),
        contact: field("contact").and_then(|c| Contact::deserialize(c).ok()),
        message: field("message").and_then(|m| Message::deserialize(m).ok()),
        provider_event,
        dedup_key: None,
    })
}

/// The envelope with `event` in place of what it carried, and `outcome` (`{status, ...}`) as
/// `provider_event.detail.enrichment`. Its id, time, channel and conversation stay.
pub fn filled_in(envelope: &Value, event: &NormalizedEvent, outcome: Value) -> Value {
    let mut out = envelope.clone();
    out["type"] = json!(event.event_type.as_str());
    if let Some(data) = out.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("contact".into(), json!(event.contact));
        data.insert("message".into(), json!(event.message));
        data.insert("provider_event".into(), json!(event.provider_event));
        // Only an unrecognized payload always carries its raw body (see domain::envelope).
        if event.event_type != EventType::ProviderUnrecognized
            && data.get("raw").is_some_and(Value::is_null)
        {
            data.remove("raw");
        }
    }
    set_outcome(&mut out, outcome);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnigate_connector_core::{Content, Direction};

    fn thin() -> Value {
        let mut e = json!({
            "type": "provider.unrecognized",
            "timestamp": "2026-12-01T10:00:00.000Z",
            "data": {
                "event_id": "evt_1",
                "channel": {"id": "chn_1", "provider": "hubspot", "name": "Chat"},
                "conversation": {"id": "cnv_1", "provider_ref": "7412055081"},
                "contact": null,
                "message": null,
                "provider_event": {"type": "conversation.newMessage", "id": "41",
                                   "detail": {"thin": true, "messageId": "m1"}},
                "raw": null
            }
        });
        mark_pending(&mut e);
        e
    }

    #[test]
    fn a_pending_envelope_reads_back_into_the_connectors_event() {
        let e = thin();
        assert!(is_pending(&e));
        let ev = normalized(&e).unwrap();
        assert_eq!(ev.event_type, EventType::ProviderUnrecognized);
        assert_eq!(ev.conversation_ref.as_deref(), Some("7412055081"));
        assert_eq!(ev.provider_event.detail.get("enrichment"), None);
        assert_eq!(ev.provider_event.detail["messageId"], "m1");
        assert!(normalized(&json!({"type": "nope", "data": {}})).is_none());
    }

    #[test]
    fn a_filled_in_envelope_keeps_its_identity_and_says_how_it_was_filled() {
        let e = thin();
        let mut ev = normalized(&e).unwrap();
        ev.event_type = EventType::MessageReceived;
        ev.message = Some(Message {
            id: Some("m1".into()),
            direction: Direction::Inbound,
            content: Content::Text { text: "hi".into() },
            origin: None,
        });
        let out = filled_in(&e, &ev, json!({"status": "enriched"}));
        assert_eq!(out["type"], "message.received");
        assert_eq!(out["timestamp"], e["timestamp"]);
        assert_eq!(out["data"]["event_id"], "evt_1");
        assert_eq!(out["data"]["conversation"]["id"], "cnv_1");
        assert_eq!(out["data"]["message"]["content"]["text"], "hi");
        assert_eq!(
            out["data"]["provider_event"]["detail"]["enrichment"]["status"],
            "enriched"
        );
        assert!(out["data"].get("raw").is_none());
        assert!(!is_pending(&out));
    }
}

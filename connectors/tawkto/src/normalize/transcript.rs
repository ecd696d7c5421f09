//! `chat:transcript_created`: the whole chat, sent about three minutes after it went quiet.
//!
//! Tawk.to's public docs show no complete example of this payload, so it is read leniently:
//! the chat is `chat` (with `id`, `visitor`, `messages`) or the top level (`chatId`,
//! `visitor`, `messages`); each line's sender is `sender.type` (`visitor`, `agent`, `system`)
//! or the short `sender.t` (`v`, `a`, `s`), its name `sender.name` or `sender.n`, its text
//! `msg`, `text` or `message`. Lines become `detail.messages`, each
//! `{sender, name, text, time, type}`, with any other fields under `extra`; the raw body keeps
//! the original.

use omnigate_connector_core::{EventType, NormalizedEvent, ProviderEvent};
use serde_json::{json, Map, Value};

use super::{keep, text, unrecognized, visitor};

const KIND: &str = "chat:transcript_created";
const LINE_FIELDS: [&str; 6] = ["sender", "msg", "text", "message", "time", "type"];

pub fn transcript(obj: &Map<String, Value>, chat: Option<String>) -> NormalizedEvent {
    let Some(chat) = chat else {
        return unrecognized(KIND, None, "no usable chat id".into());
    };
    let nested = obj.get("chat").and_then(Value::as_object);
    let field = |k: &str| nested.and_then(|c| c.get(k)).or_else(|| obj.get(k));

    let mut detail = Map::new();
    keep(&mut detail, "time", obj.get("time"));
    keep(&mut detail, "property", obj.get("property"));
    keep(&mut detail, "visitor", field("visitor"));
    // Whatever else the chat object carries (agents, rating, duration, ...) is kept as sent.
    if let Some(c) = nested {
        for (k, v) in c
            .iter()
            .filter(|(k, _)| !["id", "visitor", "messages"].contains(&k.as_str()))
        {
            keep(&mut detail, k, Some(v));
        }
    }
    detail.insert("messages".into(), lines(field("messages")));

    NormalizedEvent {
        event_type: EventType::ConversationTranscript,
        conversation_ref: Some(chat),
        contact: visitor(field("visitor")),
        message: None,
        provider_event: ProviderEvent {
            kind: KIND.into(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

/// A missing or non-array `messages` becomes `[]`; entries that are not objects are skipped.
fn lines(messages: Option<&Value>) -> Value {
    let Some(Value::Array(items)) = messages else {
        return Value::Array(Vec::new());
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(line)
        .collect()
}

fn line(m: &Map<String, Value>) -> Value {
    let sender = m.get("sender").and_then(Value::as_object);
    let sender_field = |long: &str, short: &str| {
        sender.and_then(|s| text(s.get(long)).or_else(|| text(s.get(short))))
    };
    let who = match sender_field("type", "t").as_deref() {
        Some("visitor" | "v") => "visitor",
        Some("agent" | "a") => "agent",
        Some("system" | "s") => "system",
        _ => "unknown",
    };
    let said = ["msg", "text", "message"]
        .iter()
        .find_map(|k| text(m.get(*k)));
    let time = m.get("time").cloned().unwrap_or(Value::Null);
    let mut out = json!({
        "sender": who,
        "name": sender_field("name", "n"),
        "text": said,
        "time": time,
        "type": m.get("type").and_then(Value::as_str),
    });
    let extra: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !LINE_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let (false, Some(o)) = (extra.is_empty(), out.as_object_mut()) {
        o.insert("extra".into(), Value::Object(extra));
    }
    out
}

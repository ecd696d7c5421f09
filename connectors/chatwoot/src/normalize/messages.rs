//! `message_created`: a visitor's message, or the business side's own (an agent's reply, a
//! bot's template, omnigate's relayed reply) as `message.echo`, so the helpdesk never sees its
//! own reply as a visitor message. Private notes and activity lines are neither.

use omnigate_connector_core::{
    Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

use super::fields::{conversation_ref, id, object, text, visitor};
use super::{keep, unrecognized};

const KIND: &str = "message_created";

/// Chatwoot's message types: strings in webhooks, integers (`0`..`3`) in some nested copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageType {
    Incoming,
    Outgoing,
    Activity,
    Template,
}

impl MessageType {
    fn read(v: Option<&Value>) -> Option<MessageType> {
        match v? {
            Value::String(s) => match s.as_str() {
                "incoming" => Some(MessageType::Incoming),
                "outgoing" => Some(MessageType::Outgoing),
                "activity" => Some(MessageType::Activity),
                "template" => Some(MessageType::Template),
                _ => None,
            },
            Value::Number(n) => match n.as_u64()? {
                0 => Some(MessageType::Incoming),
                1 => Some(MessageType::Outgoing),
                2 => Some(MessageType::Activity),
                3 => Some(MessageType::Template),
                _ => None,
            },
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            MessageType::Incoming => "incoming",
            MessageType::Outgoing => "outgoing",
            MessageType::Activity => "activity",
            MessageType::Template => "template",
        }
    }
}

pub fn created(obj: &Map<String, Value>) -> NormalizedEvent {
    let conversation = conversation_ref(obj, false);
    let contact = visitor(obj);
    let Some(conversation) = conversation else {
        return unrecognized(KIND, None, contact, "no conversation id".into());
    };
    let fail = |reason: &str| {
        unrecognized(
            KIND,
            Some(conversation.clone()),
            contact.clone(),
            reason.into(),
        )
    };
    let Some(kind) = MessageType::read(obj.get("message_type")) else {
        return fail("no known \"message_type\"");
    };
    // Only `private: false` is a message the visitor can see; a missing flag is not assumed.
    let (event_type, direction, origin) = match (kind, obj.get("private").and_then(Value::as_bool))
    {
        (_, Some(true)) => {
            return fail("a private note: seen only by Chatwoot agents, never by the visitor")
        }
        (_, None) => return fail("no \"private\" flag, so not provably visible to the visitor"),
        (MessageType::Activity, _) => {
            return fail(
                "an activity line (Chatwoot's own log, e.g. \"Conversation was resolved\")",
            )
        }
        (MessageType::Incoming, Some(false)) => {
            (EventType::MessageReceived, Direction::Inbound, None)
        }
        (MessageType::Outgoing | MessageType::Template, Some(false)) => (
            EventType::MessageEcho,
            Direction::Outbound,
            Some("provider".to_string()),
        ),
    };

    let mut detail = Map::new();
    detail.insert("message_type".into(), Value::String(kind.name().into()));
    keep(&mut detail, "content_type", obj.get("content_type"));
    keep(&mut detail, "source_id", obj.get("source_id"));
    keep(&mut detail, "inbox", obj.get("inbox"));
    keep(&mut detail, "account", obj.get("account"));
    if let Some(attrs) = obj.get("content_attributes").filter(|a| !is_empty(a)) {
        detail.insert("content_attributes".into(), attrs.clone());
    }
    if let Some(a) = obj.get("attachments").filter(|a| !is_empty(a)) {
        detail.insert("attachments".into(), a.clone());
    }
    if direction == Direction::Outbound {
        // Who on the business side sent it (an agent or a bot), not the visitor.
        keep(&mut detail, "sender", obj.get("sender"));
    }
    if let Some(status) = object(obj, "conversation").and_then(|c| c.get("status")) {
        keep(&mut detail, "conversation_status", Some(status));
    }

    NormalizedEvent {
        event_type,
        conversation_ref: Some(conversation),
        contact,
        message: Some(Message {
            id: id(obj.get("id")),
            direction,
            content: content(obj),
            origin,
        }),
        provider_event: ProviderEvent {
            kind: KIND.into(),
            id: None,
            detail,
        },
        dedup_key: None,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The text when there is any (attachments then stay in the detail); otherwise the first
/// attachment with a URL; otherwise `unsupported` naming Chatwoot's content type.
fn content(obj: &Map<String, Value>) -> Content {
    if let Some(text) = text(obj.get("content")) {
        return Content::Text { text };
    }
    let first = obj
        .get("attachments")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .find_map(attachment)
        });
    if let Some(content) = first {
        return content;
    }
    Content::Unsupported {
        provider_type: obj
            .get("content_type")
            .and_then(Value::as_str)
            .unwrap_or("empty")
            .chars()
            .take(64)
            .collect(),
    }
}

fn attachment(a: &Map<String, Value>) -> Option<Content> {
    let url = text(a.get("data_url"))?;
    Some(match a.get("file_type").and_then(Value::as_str) {
        Some("image") => Content::Image { url, caption: None },
        _ => Content::File { url, name: None },
    })
}

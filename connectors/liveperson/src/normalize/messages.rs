//! `ms.MessagingEventNotification` changes: a consumer's message (`message.received`), a
//! brand-side one (an agent's, a manager's or a bot's: `message.echo`, so the helpdesk never
//! sees it, or its own relayed reply, as the consumer's), and everything else (typing, accept
//! status, messages only agents see) as `provider.unrecognized`. Keyed by the conversation id
//! (the dialog id when absent); de-duplicated by `dialogId` + `sequence`.

use omnigate_connector_core::fields::{capped, id, keep, text};
use omnigate_connector_core::{
    Contact, Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

const KIND: &str = "ms.MessagingEventNotification";

pub fn change(c: &Map<String, Value>) -> NormalizedEvent {
    let dialog = id(c.get("dialogId"));
    let conversation = id(c.get("conversationId")).or_else(|| dialog.clone());
    let sequence = c.get("sequence").and_then(Value::as_u64);
    let key = match (&dialog, sequence) {
        (Some(d), Some(s)) => Some(format!("{d}:{s}")),
        _ => None,
    };
    let event = c.get("event").and_then(Value::as_object);
    let event_type = event
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let role = c
        .get("originatorMetadata")
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let originator = id(c.get("originatorId"));
    let audience = c.get("messageAudience").and_then(Value::as_str);
    let mut detail = Map::new();
    for k in ["sequence", "serverTimestamp", "dialogId", "messageAudience"] {
        keep(&mut detail, k, c.get(k));
    }
    keep(
        &mut detail,
        "role",
        c.get("originatorMetadata").and_then(|m| m.get("role")),
    );
    let unrecognized = |reason: String| {
        let mut e = NormalizedEvent::unrecognized(format!("{KIND}.{}", capped(event_type)), reason);
        e.conversation_ref = conversation.clone();
        e.dedup_key = key.clone();
        e.provider_event.id = key.clone();
        e
    };
    let Some(conversation_ref) = conversation.clone() else {
        return unrecognized("a change without a conversation or dialog id".into());
    };
    if !matches!(event_type, "ContentEvent" | "RichContentEvent") {
        return unrecognized(format!("no mapping for {} events", capped(event_type)));
    }
    if audience == Some("AGENTS_AND_MANAGERS") {
        return unrecognized("a message only agents and managers see, never the consumer".into());
    }
    let (event_type_out, direction, origin, contact) = match role {
        "CONSUMER" => (
            EventType::MessageReceived,
            Direction::Inbound,
            None,
            Contact {
                provider_ref: originator,
                ..Contact::default()
            },
        ),
        "ASSIGNED_AGENT" | "AGENT" | "MANAGER" | "CONTROLLER" | "READER" => {
            keep(&mut detail, "originatorId", c.get("originatorId"));
            (
                EventType::MessageEcho,
                Direction::Outbound,
                Some("provider".to_string()),
                Contact::default(),
            )
        }
        other => return unrecognized(format!("a message from the role \"{}\"", capped(other))),
    };
    let content = match event {
        Some(e) if event_type == "ContentEvent" => content(e),
        _ => {
            keep(&mut detail, "content", event.and_then(|e| e.get("content")));
            Content::Unsupported {
                provider_type: "RichContentEvent".into(),
            }
        }
    };
    NormalizedEvent {
        event_type: event_type_out,
        conversation_ref: Some(conversation_ref),
        contact: Some(contact).filter(|c| c.provider_ref.is_some()),
        message: Some(Message {
            id: key.clone(),
            direction,
            content,
            origin,
        }),
        provider_event: ProviderEvent {
            kind: format!("{KIND}.{event_type}"),
            id: key.clone(),
            detail,
        },
        dedup_key: key,
    }
}

/// `text/plain` (and `text/html`, whose markup is kept as it is) is text; `hosted/file` with a
/// URL is a file or image; anything else is unsupported with its content type.
fn content(e: &Map<String, Value>) -> Content {
    let ct = e
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("text/plain");
    match ct {
        "text/plain" | "text/html" => match text(e.get("message")) {
            Some(text) => Content::Text { text },
            None => Content::Unsupported {
                provider_type: ct.into(),
            },
        },
        "hosted/file" | "forms/secure-invitation" => {
            let m = e.get("message");
            match m.and_then(|m| text(m.get("relativePath")).or_else(|| text(m.get("url")))) {
                Some(url)
                    if m.and_then(|m| text(m.get("fileType"))).is_some_and(|t| {
                        matches!(
                            t.to_ascii_uppercase().as_str(),
                            "JPG" | "JPEG" | "PNG" | "GIF"
                        )
                    }) =>
                {
                    Content::Image {
                        url,
                        caption: m.and_then(|m| text(m.get("caption"))),
                    }
                }
                Some(url) => Content::File {
                    url,
                    name: m.and_then(|m| text(m.get("caption"))),
                },
                None => Content::Unsupported {
                    provider_type: ct.into(),
                },
            }
        }
        other => Content::Unsupported {
            provider_type: capped(other),
        },
    }
}

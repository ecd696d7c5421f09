//! Messages: the contact's (`message.received`) and an agent's or the bot's (`message.echo`,
//! so the helpdesk never sees an agent's or its own relayed reply as the visitor's), and the
//! delivery reports of outbound messages.

use omnigate_connector_core::fields::{id, keep, text};
use omnigate_connector_core::{Content, Direction, EventType, Message, NormalizedEvent};
use serde_json::{Map, Value};

use super::{event, unrecognized, visitor, Envelope};

pub fn message(env: &Envelope<'_>) -> NormalizedEvent {
    let Some(m) = env.message else {
        return unrecognized(env, "a message event without \"data.message\"".into());
    };
    if env.conversation_id.is_none() {
        return unrecognized(env, "a message without a conversation id".into());
    }
    let sub_type = m.get("sub_type").and_then(Value::as_str).unwrap_or("");
    // The event name decides; `sub_type` can only make a message less trusted, never turn an
    // agent's message into the contact's.
    let from_contact =
        env.event == "conversation.contact_replied" && matches!(sub_type, "contact" | "");
    let mut contact = visitor(env);
    let mut detail = env.detail.clone();
    for key in ["sub_type", "created_at", "page_url", "delivery_status"] {
        keep(&mut detail, key, m.get(key));
    }
    let (event_type, direction, origin) = if from_contact {
        if let Some(c) = contact.as_mut() {
            c.name = text(m.get("author_name"));
        }
        (EventType::MessageReceived, Direction::Inbound, None)
    } else {
        for key in ["agent_id", "author_name"] {
            keep(&mut detail, key, m.get(key));
        }
        (
            EventType::MessageEcho,
            Direction::Outbound,
            Some("provider".to_string()),
        )
    };
    let message_id = id(m.get("id"));
    let message = Message {
        id: message_id.clone(),
        direction,
        content: content(m, &mut detail),
        origin,
    };
    event(env, event_type, contact, Some(message), detail, message_id)
}

/// `content` is a string, or `{text}` / `{html}` for bot and trigger messages; a message with
/// no text and attachments is its first attachment (the whole list kept in `detail`).
fn content(m: &Map<String, Value>, detail: &mut Map<String, Value>) -> Content {
    let c = m.get("content");
    let body = text(c)
        .or_else(|| c.and_then(|c| text(c.get("text"))))
        .or_else(|| c.and_then(|c| text(c.get("html"))));
    let attachments = m
        .get("attachments")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    if attachments.is_some() {
        keep(detail, "attachments", m.get("attachments"));
    }
    if let Some(text) = body {
        return Content::Text { text };
    }
    let first = attachments
        .and_then(|a| a.first())
        .and_then(Value::as_object);
    let url = first.and_then(|a| text(a.get("url")));
    match (url, first) {
        (Some(url), Some(a)) => {
            let mime = text(a.get("content_type")).or_else(|| text(a.get("type")));
            if mime.is_some_and(|t| t.starts_with("image")) {
                Content::Image { url, caption: None }
            } else {
                Content::File {
                    url,
                    name: text(a.get("name")).or_else(|| text(a.get("file_name"))),
                }
            }
        }
        _ => Content::Unsupported {
            provider_type: if c.is_some() {
                "content".into()
            } else {
                "empty".into()
            },
        },
    }
}

pub fn delivery(env: &Envelope<'_>) -> NormalizedEvent {
    let (event_type, message_id) = match env.message {
        Some(m) => (
            if env.event == "conversation.message_delivered" {
                EventType::MessageDelivered
            } else {
                EventType::MessageFailed
            },
            id(m.get("id")),
        ),
        None => return unrecognized(env, "a delivery report without \"data.message\"".into()),
    };
    let mut detail = env.detail.clone();
    keep(
        &mut detail,
        "delivery_status",
        env.message.and_then(|m| m.get("delivery_status")),
    );
    keep(
        &mut detail,
        "message_id",
        env.message.and_then(|m| m.get("id")),
    );
    event(env, event_type, visitor(env), None, detail, message_id)
}

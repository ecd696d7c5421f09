//! `incoming_event`, and the message events a new thread starts with: a `message`, `file` or
//! `rich_message` by the customer is `message.received`; by an agent or bot it is `message.echo`
//! (`origin: "provider"`). Other event types (`system_message`, `filled_form`, `custom`, ...)
//! and messages whose author cannot be told apart are unrecognized.

use omnigate_connector_core::{
    Contact, Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{Map, Value};

use super::author::{classify, Author};
use super::{key, text};

pub fn incoming_event(p: &Map<String, Value>) -> Result<Vec<NormalizedEvent>, String> {
    let chat_id = key(p.get("chat_id")).ok_or("no usable \"chat_id\"")?;
    let ev = p
        .get("event")
        .and_then(Value::as_object)
        .ok_or("no \"event\" object")?;
    let thread_id = key(p.get("thread_id"));
    message(&chat_id, thread_id.as_deref(), ev, None).map(|e| vec![e])
}

/// The fields of `ev` worth keeping, under LiveChat's names.
fn keep(ev: &Map<String, Value>, fields: &[&str], detail: &mut Map<String, Value>) {
    for f in fields {
        if let Some(v) = ev.get(*f).filter(|v| !v.is_null()) {
            detail.insert(f.to_string(), v.clone());
        }
    }
}

fn is_http(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(char::is_whitespace)
}

/// The content of a message-like event, or why it is not one.
fn content(ev: &Map<String, Value>, detail: &mut Map<String, Value>) -> Result<Content, String> {
    match ev.get("type").and_then(Value::as_str).unwrap_or("") {
        "message" => {
            let text = text(ev.get("text")).ok_or("a message without text")?;
            // A customer's tap on a rich message button arrives as a message with a postback.
            let postback = ev.get("postback").and_then(Value::as_object);
            keep(ev, &["postback"], detail);
            Ok(match key(postback.and_then(|p| p.get("id"))) {
                Some(id) => Content::Postback { text, payload: id },
                None => Content::Text { text },
            })
        }
        "file" => {
            let url = text(ev.get("url"))
                .filter(|u| is_http(u))
                .ok_or("a file without an http(s) url")?;
            keep(
                ev,
                &["content_type", "size", "width", "height", "thumbnail_url"],
                detail,
            );
            let is_image = ev
                .get("content_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("image/"));
            Ok(if is_image {
                Content::Image {
                    url,
                    caption: text(ev.get("alternative_text")),
                }
            } else {
                Content::File {
                    url,
                    name: text(ev.get("name")),
                }
            })
        }
        "rich_message" => {
            keep(ev, &["template_id", "elements"], detail);
            Ok(Content::Unsupported {
                provider_type: "rich_message".into(),
            })
        }
        "" => Err("an event without a type".into()),
        other => Err(format!(
            "a \"{}\" event is not a message",
            other.chars().take(64).collect::<String>()
        )),
    }
}

/// One message-like event of chat `chat_id`; `users` is the chat's user list when the webhook
/// carries it.
pub fn message(
    chat_id: &str,
    thread_id: Option<&str>,
    ev: &Map<String, Value>,
    users: Option<&[Value]>,
) -> Result<NormalizedEvent, String> {
    let mut detail = Map::new();
    let content = content(ev, &mut detail)?;
    let author_id = key(ev.get("author_id")).ok_or("no \"author_id\": cannot tell who wrote it")?;
    let author = classify(
        &author_id,
        users,
        ev.get("author_type").and_then(Value::as_str),
    );
    let (event_type, direction, origin, contact) = match author {
        Author::Customer => (
            EventType::MessageReceived,
            Direction::Inbound,
            None,
            Some(Contact {
                provider_ref: Some(author_id.clone()),
                ..Contact::default()
            }),
        ),
        Author::Agent | Author::Bot => (
            EventType::MessageEcho,
            Direction::Outbound,
            Some("provider".to_string()),
            None,
        ),
        Author::Unknown => {
            return Err(format!(
                "cannot tell whether author \"{author_id}\" is the customer or an agent"
            ))
        }
    };
    if let Some(t) = thread_id {
        detail.insert("thread_id".into(), Value::String(t.to_string()));
    }
    detail.insert("author_id".into(), Value::String(author_id));
    detail.insert("sent_by".into(), Value::String(author.as_str().into()));
    keep(
        ev,
        &["created_at", "custom_id", "visibility", "recipients"],
        &mut detail,
    );
    // `visibility` (v3.6) / `recipients` (older): "agents" is an internal note the customer never
    // saw, still business-side, so still an echo, flagged.
    let internal = ["visibility", "recipients"]
        .iter()
        .any(|f| ev.get(*f).and_then(Value::as_str) == Some("agents"));
    if internal {
        detail.insert("internal".into(), Value::Bool(true));
    }
    let event_id = key(ev.get("id"));
    Ok(NormalizedEvent {
        event_type,
        conversation_ref: Some(chat_id.to_string()),
        contact,
        message: Some(Message {
            id: event_id.clone(),
            direction,
            content,
            origin,
        }),
        provider_event: ProviderEvent {
            kind: String::new(),
            id: event_id.clone(),
            detail,
        },
        dedup_key: event_id.map(|id| format!("event:{chat_id}:{id}")),
    })
}

//! `conversation:message` and `conversation:postback`. Who wrote a message decides its type:
//! only `author.type == "user"` (the visitor) is `message.received`; `business` (an agent, a
//! bot, or omnigate's own reply) is `message.echo` with `origin: "provider"`, so a bot never
//! answers itself. Any other or missing author type is unrecognized rather than guessed.

use omnigate_connector_core::{Contact, Content, Direction, EventType, Message};
use serde_json::{Map, Value};

use super::{key, text, without, Mapped};

pub fn message(payload: &Map<String, Value>) -> Result<Mapped, String> {
    let Some(msg) = payload.get("message").and_then(Value::as_object) else {
        return Err("no \"payload.message\" object".into());
    };
    let author = msg.get("author").and_then(Value::as_object);
    let author_type = author.and_then(|a| a.get("type")).and_then(Value::as_str);
    let (event_type, direction, origin) = match author_type {
        Some("user") => (EventType::MessageReceived, Direction::Inbound, None),
        Some("business") => (
            EventType::MessageEcho,
            Direction::Outbound,
            Some("provider".to_string()),
        ),
        Some(other) => return Err(format!("unknown message author type \"{other}\"")),
        None => return Err("no \"message.author.type\": cannot tell who wrote it".into()),
    };
    let Some(content_obj) = msg.get("content").and_then(Value::as_object) else {
        return Err("no \"message.content\" object".into());
    };

    let mut detail = Map::new();
    let (content, extra) = content(content_obj);
    detail.extend(extra);
    if let Some(a) = author {
        detail.insert("author".into(), Value::Object(without(a, &["user"])));
    }
    for field in ["source", "received", "quotedMessage", "metadata"] {
        if let Some(v) = msg.get(field).filter(|v| !v.is_null()) {
            detail.insert(field.into(), v.clone());
        }
    }
    // The visitor is known only on their own messages; a business message names its sender in
    // `detail.author`, not as the contact.
    let contact = match event_type {
        EventType::MessageReceived => user_contact(author, payload.get("user")),
        _ => None,
    };
    Ok(Mapped {
        event_type,
        contact,
        message: Some(Message {
            id: key(msg.get("id")),
            direction,
            content,
            origin,
        }),
        detail,
    })
}

/// A tap on a postback button. Sunshine's webhook carries the button's `payload` but not its
/// label, so the payload is also the text.
pub fn postback(payload: &Map<String, Value>) -> Result<Mapped, String> {
    let postback = payload.get("postback").and_then(Value::as_object);
    let Some(data) = text(postback.and_then(|p| p.get("payload"))) else {
        return Err("no \"postback.payload\"".into());
    };
    let mut detail = Map::new();
    for (field, v) in [
        ("metadata", postback.and_then(|p| p.get("metadata"))),
        ("source", payload.get("source")),
    ] {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            detail.insert(field.into(), v.clone());
        }
    }
    Ok(Mapped {
        event_type: EventType::MessageReceived,
        contact: user_contact(None, payload.get("user")),
        message: Some(Message {
            id: None,
            direction: Direction::Inbound,
            content: Content::Postback {
                text: data.clone(),
                payload: data,
            },
            origin: None,
        }),
        detail,
    })
}

/// The message content, plus the content fields worth keeping in the detail.
fn content(c: &Map<String, Value>) -> (Content, Map<String, Value>) {
    let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
    let url =
        text(c.get("mediaUrl")).filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let keep = |fields: &[&str]| -> Map<String, Value> {
        fields
            .iter()
            .filter_map(|f| c.get(*f).map(|v| (f.to_string(), v.clone())))
            .collect()
    };
    match (kind, url) {
        ("text", _) if text(c.get("text")).is_some() => (
            Content::Text {
                text: text(c.get("text")).unwrap_or_default(),
            },
            keep(&["actions"]),
        ),
        ("image", Some(url)) => (
            Content::Image {
                url,
                caption: text(c.get("text")),
            },
            keep(&["mediaType", "mediaSize", "altText", "actions"]),
        ),
        ("file", Some(url)) => {
            let name = file_name(&url);
            (
                Content::File { url, name },
                keep(&["text", "mediaType", "mediaSize", "altText"]),
            )
        }
        // Location, carousel, list, form, formResponse, template, or a text/media message
        // missing its text or URL: the helpdesk gets the type and the content as sent.
        (other, _) => {
            let provider_type = if other.is_empty() { "unknown" } else { other };
            let mut extra = Map::new();
            extra.insert("content".into(), Value::Object(c.clone()));
            (
                Content::Unsupported {
                    provider_type: provider_type.chars().take(64).collect(),
                },
                extra,
            )
        }
    }
}

/// The last path segment of a media URL (Sunshine stores uploads under their file name).
fn file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let after_host = path.splitn(4, '/').nth(3)?;
    let last = after_host.rsplit('/').next()?;
    (!last.is_empty()).then(|| last.to_string())
}

/// The visitor: `author.userId` / `author.user` on a message, `payload.user` elsewhere; the name
/// from `author.displayName` or the profile, the e-mail from the profile (sent when the webhook
/// has `includeFullUser`).
pub(crate) fn user_contact(
    author: Option<&Map<String, Value>>,
    user: Option<&Value>,
) -> Option<Contact> {
    let user = author
        .and_then(|a| a.get("user"))
        .or(user)
        .and_then(Value::as_object);
    let profile = user
        .and_then(|u| u.get("profile"))
        .and_then(Value::as_object);
    let from_profile = |f: &str| text(profile.and_then(|p| p.get(f)));
    let profile_name = match (from_profile("givenName"), from_profile("surname")) {
        (Some(g), Some(s)) => Some(format!("{g} {s}")),
        (g, s) => g.or(s),
    };
    let contact = Contact {
        provider_ref: key(author.and_then(|a| a.get("userId")))
            .or_else(|| key(user.and_then(|u| u.get("id")))),
        name: text(author.and_then(|a| a.get("displayName"))).or(profile_name),
        email: from_profile("email"),
        phone: None,
    };
    (contact != Contact::default()).then_some(contact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_is_the_last_segment_of_the_media_path() {
        assert_eq!(
            file_name("https://media.smooch.io/apps/a/conversations/c/report.pdf?x=1").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(file_name("https://media.smooch.io/"), None);
        assert_eq!(file_name("https://media.smooch.io"), None);
    }
}

//! What an inbox callback asks for. Only an agent's public reply is relayed: `message_created`,
//! `message_type` outgoing, `private` false, sent by a user or an agent bot, and not created by
//! omnigate (its `source_id` carries omnigate's marker). A resolved conversation is reported to
//! the provider where the provider has a notion of it (the connector's `resolve_action`).
//! Everything else is acknowledged and left.

use serde_json::{json, Value};

use super::MARKER;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Relay these contents (one reply may carry text and attachments) to the visitor.
    Relay {
        display_id: u64,
        message_id: u64,
        contents: Vec<Value>,
    },
    /// The conversation was resolved in Chatwoot.
    Resolved {
        display_id: u64,
    },
    Ignore(&'static str),
}

fn as_id(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

pub fn decide(payload: &Value) -> Decision {
    match payload["event"].as_str() {
        Some("message_created") => message(payload),
        Some("conversation_status_changed") | Some("conversation_resolved") => {
            if payload["status"].as_str() != Some("resolved") {
                return Decision::Ignore("status_not_resolved");
            }
            match as_id(&payload["id"]) {
                Some(display_id) => Decision::Resolved { display_id },
                None => Decision::Ignore("no_conversation_id"),
            }
        }
        _ => Decision::Ignore("event_not_relayed"),
    }
}

fn message(p: &Value) -> Decision {
    if p["message_type"].as_str() != Some("outgoing") && p["message_type"].as_u64() != Some(1) {
        return Decision::Ignore("not_outgoing");
    }
    // Anything but an explicit `false` is treated as a private note: never relayed.
    if p["private"].as_bool() != Some(false) {
        return Decision::Ignore("private_note");
    }
    if let Some(kind) = p.pointer("/sender/type").and_then(Value::as_str) {
        if !matches!(kind, "user" | "agent_bot") {
            return Decision::Ignore("not_sent_by_an_agent");
        }
    }
    if p["source_id"]
        .as_str()
        .is_some_and(|s| s.starts_with(MARKER))
    {
        return Decision::Ignore("created_by_omnigate");
    }
    let (Some(display_id), Some(message_id)) = (
        p.pointer("/conversation/id").and_then(as_id),
        as_id(&p["id"]),
    ) else {
        return Decision::Ignore("no_conversation_id");
    };
    let contents = contents(p);
    if contents.is_empty() {
        return Decision::Ignore("empty_message");
    }
    Decision::Relay {
        display_id,
        message_id,
        contents,
    }
}

/// The reply's contents: its text, then each image as an image; other files are links in text.
fn contents(p: &Value) -> Vec<Value> {
    let mut text = p["content"].as_str().unwrap_or_default().trim().to_string();
    let mut images = Vec::new();
    for a in p["attachments"].as_array().into_iter().flatten() {
        let Some(url) = a["data_url"].as_str().filter(|u| !u.is_empty()) else {
            continue;
        };
        if a["file_type"].as_str() == Some("image") {
            images.push(json!({"type": "image", "url": url}));
        } else {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(url);
        }
    }
    let mut out = Vec::new();
    if !text.is_empty() {
        out.push(json!({"type": "text", "text": text}));
    }
    out.extend(images);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(extra: Value) -> Value {
        let mut p = json!({"event": "message_created", "id": 91, "content": "Ships today",
                           "message_type": "outgoing", "private": false,
                           "sender": {"type": "user"}, "conversation": {"id": 12}});
        if let (Some(o), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        p
    }

    #[test]
    fn only_public_agent_replies_not_made_by_omnigate_are_relayed() {
        assert_eq!(
            decide(&reply(json!({}))),
            Decision::Relay {
                display_id: 12,
                message_id: 91,
                contents: vec![json!({"type": "text", "text": "Ships today"})]
            }
        );
        assert_eq!(
            decide(&reply(json!({"private": true}))),
            Decision::Ignore("private_note")
        );
        assert_eq!(
            decide(&reply(json!({"private": null}))),
            Decision::Ignore("private_note")
        );
        assert_eq!(
            decide(&reply(json!({"message_type": "incoming"}))),
            Decision::Ignore("not_outgoing")
        );
        assert_eq!(
            decide(&reply(json!({"source_id": "omnigate:evt_1"}))),
            Decision::Ignore("created_by_omnigate")
        );
        assert_eq!(
            decide(&reply(json!({"sender": {"type": "contact"}}))),
            Decision::Ignore("not_sent_by_an_agent")
        );
        assert_eq!(
            decide(&json!({"event": "message_updated"})),
            Decision::Ignore("event_not_relayed")
        );
        assert_eq!(decide(&json!(null)), Decision::Ignore("event_not_relayed"));
    }

    #[test]
    fn images_become_image_replies_and_files_links() {
        let p = reply(json!({"attachments": [
            {"file_type": "image", "data_url": "https://cw/img.png"},
            {"file_type": "file", "data_url": "https://cw/doc.pdf"}]}));
        let Decision::Relay { contents, .. } = decide(&p) else {
            panic!("relayed")
        };
        assert_eq!(
            contents[0],
            json!({"type": "text", "text": "Ships today\nhttps://cw/doc.pdf"})
        );
        assert_eq!(
            contents[1],
            json!({"type": "image", "url": "https://cw/img.png"})
        );
    }

    #[test]
    fn a_resolved_conversation_is_reported() {
        let p = json!({"event": "conversation_status_changed", "id": 12, "status": "resolved"});
        assert_eq!(decide(&p), Decision::Resolved { display_id: 12 });
        let p = json!({"event": "conversation_status_changed", "id": 12, "status": "open"});
        assert_eq!(decide(&p), Decision::Ignore("status_not_resolved"));
    }
}

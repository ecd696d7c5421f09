//! The private note written into a Chatwoot conversation for an event that is not a visitor's
//! message: one short line an agent can read, with the provider's detail when there is any.

use serde_json::Value;

/// The longest detail quoted in a note.
const MAX_DETAIL: usize = 800;

fn text_of(content: &Value) -> Option<String> {
    match content["type"].as_str()? {
        "text" | "postback" => content["text"].as_str().map(str::to_string),
        "image" | "file" => content["url"]
            .as_str()
            .map(|u| format!("[{}] {u}", content["type"].as_str().unwrap_or("file"))),
        "sticker" => Some(format!(
            "[sticker] {}",
            content["text"].as_str().unwrap_or_default()
        )),
        other => Some(format!("[{other}]")),
    }
}

/// The note for an event of type `event_type` with envelope data `data`.
pub fn note(event_type: &str, data: &Value) -> String {
    let provider = data
        .pointer("/channel/provider")
        .and_then(Value::as_str)
        .unwrap_or("the provider");
    let detail = data.pointer("/provider_event/detail");
    let line = match event_type {
        "conversation.opened" => format!("The visitor opened the chat on {provider}."),
        "conversation.closed" => match detail.and_then(|d| d["closed_by"].as_str()) {
            Some("partner") => format!("The chat was closed from {provider}'s side."),
            _ => format!("The visitor left the chat on {provider}."),
        },
        "conversation.handover" => format!(
            "Thread control changed on {provider}: {}.",
            detail
                .and_then(|d| d["control"].as_str())
                .unwrap_or("unknown")
        ),
        "contact.subscribed" => format!("The visitor subscribed to the account on {provider}."),
        "contact.unsubscribed" => {
            format!("The visitor unsubscribed from the account on {provider}.")
        }
        "message.echo" => format!(
            "Sent to the visitor outside Chatwoot (on {provider}): {}",
            data.pointer("/message/content")
                .and_then(text_of)
                .unwrap_or_default()
        ),
        other => format!("{other} on {provider}."),
    };
    let mut note = line;
    if let Some(d) = detail.filter(|d| d.as_object().is_some_and(|o| !o.is_empty())) {
        let mut quoted = d.to_string();
        if quoted.len() > MAX_DETAIL {
            let cut = (0..=MAX_DETAIL)
                .rev()
                .find(|i| quoted.is_char_boundary(*i))
                .unwrap_or(0);
            quoted.truncate(cut);
            quoted.push('…');
        }
        note.push('\n');
        note.push_str(&quoted);
    }
    note
}

/// The text of an incoming message whose content is not plain text or an attachment.
pub fn message_text(content: &Value) -> String {
    text_of(content).unwrap_or_else(|| "[message]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notes_say_what_happened_and_keep_the_detail() {
        let data = json!({"channel": {"provider": "naver_talktalk"},
                          "provider_event": {"detail": {"closed_by": "user"}}});
        let n = note("conversation.closed", &data);
        assert!(n.starts_with("The visitor left the chat on naver_talktalk."));
        assert!(n.contains("closed_by"));
        let long = json!({"provider_event": {"detail": {"x": "é".repeat(2000)}}});
        assert!(note("payment.completed", &long).ends_with('…'));
    }
}

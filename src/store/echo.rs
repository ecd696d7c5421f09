//! Recognizing the provider's echo of a reply omnigate relayed (the same rule for every engine):
//! an echo in the same conversation, of the same content type (and text), within the window,
//! matches the oldest such reply not matched yet.

use serde_json::Value;

/// How long after a reply its echo is still attributed to it.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// The outbound content type (and text, for text) a provider echo corresponds to.
pub fn echoed_type(envelope: &Value) -> Option<(&'static str, Option<String>)> {
    let content = envelope.pointer("/data/message/content")?;
    match content.get("type")?.as_str()? {
        "text" => Some((
            "text",
            content
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string),
        )),
        "image" => Some(("image", None)),
        "unsupported"
            if content.get("provider_type").and_then(Value::as_str) == Some("compositeContent") =>
        {
            Some(("cards", None))
        }
        _ => None,
    }
}

/// Marks the echo `origin: "omnigate"` with the id of the relayed message it is of.
pub fn mark_relayed(envelope: &mut Value, message_id: &str) {
    if let Some(message) = envelope
        .pointer_mut("/data/message")
        .and_then(Value::as_object_mut)
    {
        message.insert("origin".into(), Value::String("omnigate".into()));
        message.insert(
            "relayed_message_id".into(),
            Value::String(message_id.to_string()),
        );
    }
}

//! Recognizing the provider's echo of a reply omnigate relayed (the same rule for every engine):
//! an echo in the same conversation, of the same content type (and text), within the window,
//! matches the oldest such reply not matched yet. Which content an echo's reply had is the
//! connector's to say.

use omnigate_connector_core::Content;
use serde::Deserialize;
use serde_json::Value;

use crate::connectors::Registry;

/// How long after a reply its echo is still attributed to it.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// The outbound content type (and text, for text) a provider echo corresponds to, as the
/// echo's connector declares it (`Connector::echo_key`).
pub fn echoed_type(envelope: &Value) -> Option<(&'static str, Option<String>)> {
    let provider = envelope.pointer("/data/channel/provider")?.as_str()?;
    let content = envelope.pointer("/data/message/content")?;
    let content = Content::deserialize(content).ok()?;
    let key = Registry::default().get(provider)?.echo_key(&content)?;
    Some((key.content_type, key.text))
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

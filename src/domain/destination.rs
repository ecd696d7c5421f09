//! Destinations: where events go, with their filters. A destination's kind decides how one
//! delivery is made: `webhook` (the default) POSTs a signed Standard Webhook; `chatwoot` writes
//! into a Chatwoot API-channel inbox through its REST API.

use omnigate_connector_core::EventType;
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// A Chatwoot API-channel inbox as a destination. `api_access_token` and `inbox_secret` are
/// secrets: sealed at rest, masked in every response.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatwootSettings {
    /// The installation's base URL, e.g. `https://chatwoot.example.com` (no trailing slash).
    pub base_url: String,
    pub account_id: u64,
    pub inbox_id: u64,
    /// A user's access token (agent-bot tokens cannot create contacts).
    pub api_access_token: String,
    /// The inbox's webhook `secret` (Chatwoot 4.13+), which signs its callbacks.
    pub inbox_secret: Option<String>,
    /// Chatwoot before 4.13 does not sign inbox callbacks; accepting them is a choice.
    pub allow_unsigned_callbacks: bool,
}

impl std::fmt::Debug for ChatwootSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatwootSettings")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("inbox_id", &self.inbox_id)
            .field("allow_unsigned_callbacks", &self.allow_unsigned_callbacks)
            .finish_non_exhaustive()
    }
}

/// A destination as stored, with its signing secret decrypted. Its `Debug` leaves the secret
/// out, so a destination can never be logged with it.
#[derive(Clone)]
pub struct Destination {
    pub id: String,
    pub url: String,
    pub secret: String,
    /// `*`, exact types (`message.received`) or families (`message.*`).
    pub event_types: Vec<String>,
    /// Channel ids; empty means every channel.
    pub channels: Vec<String>,
    pub include_raw: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set for a `chatwoot` destination; `None` is a signed-webhook destination.
    pub chatwoot: Option<ChatwootSettings>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("channels", &self.channels)
            .field("include_raw", &self.include_raw)
            .field("enabled", &self.enabled)
            .field("chatwoot", &self.chatwoot)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterError(pub String);

/// Checks an event-type filter entry: `*`, a known type, or a known family with `.*`.
pub fn validate_event_type_filter(entry: &str) -> Result<(), FilterError> {
    if entry == "*" || EventType::parse(entry).is_some() {
        return Ok(());
    }
    if let Some(family) = entry.strip_suffix(".*") {
        if EventType::ALL
            .iter()
            .any(|t| t.as_str().split('.').next() == Some(family))
        {
            return Ok(());
        }
    }
    Err(FilterError(format!(
        "\"{entry}\" is not an event type, a family such as \"message.*\", or \"*\""
    )))
}

impl Destination {
    pub fn kind(&self) -> &'static str {
        if self.chatwoot.is_some() {
            "chatwoot"
        } else {
            "webhook"
        }
    }

    /// Whether an event of this type and channel goes to this destination.
    pub fn wants(&self, event_type: &str, channel_id: Option<&str>) -> bool {
        matches(&self.event_types, &self.channels, event_type, channel_id)
    }
}

/// The filter rule: the type matches `*`, itself, or its family (`message.*`); the channel
/// list is empty or names the event's channel.
pub fn matches(
    event_types: &[String],
    channels: &[String],
    event_type: &str,
    channel_id: Option<&str>,
) -> bool {
    let type_ok = event_types.iter().any(|f| {
        f == "*"
            || f == event_type
            || f.strip_suffix(".*").is_some_and(|family| {
                event_type
                    .strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    });
    let channel_ok =
        channels.is_empty() || channel_id.is_some_and(|c| channels.iter().any(|x| x == c));
    type_ok && channel_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let mut d = dest(&["*"], &[]);
        d.secret = "whsec_do-not-print".into();
        d.chatwoot = Some(ChatwootSettings {
            base_url: "https://chat.example.com".into(),
            account_id: 1,
            inbox_id: 2,
            api_access_token: "token-do-not-print".into(),
            inbox_secret: Some("inbox-do-not-print".into()),
            allow_unsigned_callbacks: false,
        });
        let shown = format!("{d:?}");
        assert!(shown.contains("dst_1"), "{shown}");
        assert!(!shown.contains("do-not-print"), "{shown}");
    }

    fn dest(types: &[&str], channels: &[&str]) -> Destination {
        Destination {
            id: "dst_1".into(),
            url: "http://x".into(),
            secret: "whsec_x".into(),
            event_types: types.iter().map(|s| s.to_string()).collect(),
            channels: channels.iter().map(|s| s.to_string()).collect(),
            include_raw: false,
            enabled: true,
            disabled_reason: None,
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            chatwoot: None,
        }
    }

    #[test]
    fn filters_match_all_exact_and_families() {
        assert!(dest(&["*"], &[]).wants("message.received", Some("chn_a")));
        assert!(dest(&["message.*"], &[]).wants("message.echo", Some("chn_a")));
        assert!(!dest(&["message.*"], &[]).wants("conversation.opened", Some("chn_a")));
        assert!(dest(&["conversation.opened"], &[]).wants("conversation.opened", None));
        assert!(!dest(&["*"], &["chn_b"]).wants("message.received", Some("chn_a")));
        assert!(dest(&["*"], &["chn_a"]).wants("message.received", Some("chn_a")));
    }

    #[test]
    fn filter_entries_must_name_real_types() {
        assert!(validate_event_type_filter("*").is_ok());
        assert!(validate_event_type_filter("message.*").is_ok());
        assert!(validate_event_type_filter("contact.subscribed").is_ok());
        assert!(validate_event_type_filter("message.nope").is_err());
        assert!(validate_event_type_filter("nope.*").is_err());
    }
}

//! Destinations: where events go, with their filters. A destination's kind decides how one
//! delivery is made: `webhook` (the default) POSTs a signed Standard Webhook; `chatwoot` writes
//! into a Chatwoot API-channel inbox through its REST API; `nats`, `redis_stream` and `amqp`
//! publish the same envelope to a broker (see `crate::sinks`).

use omnigate_connector_core::EventType;
use serde::{Deserialize, Serialize};

use super::ids::{ChannelId, DestinationId};
use super::secret::SecretString;
use super::time::Timestamp;
use crate::error::Code;
pub use crate::helpdesk::chatwoot::settings::ChatwootSettings;

/// A destination's kind and the settings that kind holds. A new kind is a variant here, a
/// deliverer, a settings module and its line in `crate::kinds`. Tagged by `kind` as the API
/// and the store name it; the settings are sealed at rest (they hold credentials).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DestinationKind {
    /// A signed Standard Webhook POSTed to the destination's `url`.
    Webhook,
    /// A Chatwoot API-channel inbox written through its REST API.
    Chatwoot(ChatwootSettings),
    /// A NATS JetStream stream (see `crate::sinks`).
    Nats(crate::sinks::nats::NatsSettings),
    /// A Redis stream.
    #[serde(rename = "redis_stream")]
    RedisStream(crate::sinks::redis_stream::RedisStreamSettings),
    /// An AMQP 0.9.1 (RabbitMQ) exchange.
    Amqp(crate::sinks::amqp::AmqpSettings),
}

impl DestinationKind {
    pub fn name(&self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Chatwoot(_) => "chatwoot",
            DestinationKind::Nats(_) => "nats",
            DestinationKind::RedisStream(_) => "redis_stream",
            DestinationKind::Amqp(_) => "amqp",
        }
    }

    /// As both store engines keep it: the kind's name, and its settings as JSON (without the
    /// tag; `None` for a kind without settings) for the store to seal.
    pub fn to_stored(&self) -> serde_json::Result<(&'static str, Option<Vec<u8>>)> {
        let mut value = serde_json::to_value(self)?;
        let settings = value.as_object_mut().map(|o| {
            o.remove("kind");
            std::mem::take(o)
        });
        let plain = match settings.filter(|o| !o.is_empty()) {
            Some(o) => Some(serde_json::to_vec(&o)?),
            None => None,
        };
        Ok((self.name(), plain))
    }

    /// Reads a stored kind back from its name and its opened settings.
    pub fn from_stored(name: &str, settings: Option<&[u8]>) -> serde_json::Result<Self> {
        let mut object = match settings {
            Some(plain) => {
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(plain)?
            }
            None => serde_json::Map::new(),
        };
        object.insert("kind".into(), name.into());
        serde_json::from_value(serde_json::Value::Object(object))
    }
}

/// A field of a create or update body that a destination kind refused: the stable code, the
/// field and why (the HTTP layer answers it as a 422 problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: Code,
    pub field: &'static str,
    pub detail: String,
}

impl FieldError {
    pub fn new(code: Code, field: &'static str, detail: impl Into<String>) -> Self {
        FieldError {
            code,
            field,
            detail: detail.into(),
        }
    }
}

/// A destination as stored, with its signing secret decrypted (held as a `SecretString`, so a
/// destination can never be logged with it).
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: DestinationId,
    pub url: String,
    pub secret: SecretString,
    /// `*`, exact types (`message.received`) or families (`message.*`).
    pub event_types: Vec<String>,
    /// Channel ids; empty means every channel.
    pub channels: Vec<ChannelId>,
    pub include_raw: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// When it was disabled; `None` while enabled. Events that arrive while a destination is
    /// disabled are not queued for it; enabling it offers their replay from here.
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How its deliveries are made, with that kind's settings.
    pub kind: DestinationKind,
}

/// What to change on a destination; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DestinationPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub channels: Option<Vec<ChannelId>>,
    pub include_raw: Option<bool>,
    pub enabled: Option<bool>,
    /// The kind's settings, replaced whole (the kind itself never changes).
    pub kind: Option<DestinationKind>,
}

impl DestinationPatch {
    /// Applies the patch (the same rule for every store engine). Returns whether it re-enabled
    /// the destination, whose queued lanes are then due again.
    pub fn apply(self, d: &mut Destination) -> bool {
        if let Some(url) = self.url {
            d.url = url;
        }
        if let Some(types) = self.event_types {
            d.event_types = types;
        }
        if let Some(channels) = self.channels {
            d.channels = channels;
        }
        if let Some(raw) = self.include_raw {
            d.include_raw = raw;
        }
        if let Some(kind) = self.kind {
            d.kind = kind;
        }
        let mut reenabled = false;
        if let Some(enabled) = self.enabled {
            reenabled = enabled && !d.enabled;
            d.enabled = enabled;
            d.disabled_reason = if enabled {
                None
            } else {
                Some("disabled by an operator".into())
            };
        }
        reenabled
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
    /// The kind's name (`webhook`, `chatwoot`).
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }

    /// Whether an event of this type and channel goes to this destination.
    pub fn wants(&self, event_type: &str, channel_id: Option<&str>) -> bool {
        matches(&self.event_types, &self.channels, event_type, channel_id)
    }
}

/// The filter rule: the type matches `*`, itself, or its family (`message.*`); the channel
/// list is empty or names the event's channel. An event still awaiting enrichment has no type
/// yet: every type filter takes it, so that it keeps its place in its conversation's lanes,
/// and the forwarder skips it where the filled-in type is not wanted.
pub fn matches(
    event_types: &[String],
    channels: &[ChannelId],
    event_type: &str,
    channel_id: Option<&str>,
) -> bool {
    let pending = event_type == super::envelope::PENDING_ENRICHMENT;
    let type_ok = pending
        || event_types.iter().any(|f| {
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
    use crate::domain::secret::{secret, ExposeSecret};

    #[test]
    fn debug_output_never_shows_a_secret() {
        let mut d = dest(&["*"], &[]);
        d.secret = secret("whsec_do-not-print");
        d.kind = DestinationKind::Chatwoot(ChatwootSettings {
            base_url: "https://chat.example.com".into(),
            account_id: 1,
            inbox_id: 2,
            api_access_token: secret("token-do-not-print"),
            inbox_secret: Some(secret("inbox-do-not-print")),
            allow_unsigned_callbacks: false,
            callback_secret: secret("callback-do-not-print"),
        });
        let shown = format!("{d:?}");
        assert!(shown.contains("dst_1"), "{shown}");
        assert!(!shown.contains("do-not-print"), "{shown}");
    }

    fn dest(types: &[&str], channels: &[&str]) -> Destination {
        Destination {
            id: "dst_1".into(),
            url: "http://x".into(),
            secret: secret("whsec_x"),
            event_types: types.iter().map(|s| s.to_string()).collect(),
            channels: channels.iter().map(|s| (*s).into()).collect(),
            include_raw: false,
            enabled: true,
            disabled_reason: None,
            disabled_at: None,
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            kind: DestinationKind::Webhook,
        }
    }

    #[test]
    fn a_kind_is_stored_as_its_name_and_its_settings_without_the_tag() {
        assert_eq!(
            DestinationKind::Webhook.to_stored().unwrap(),
            ("webhook", None)
        );
        let chatwoot = DestinationKind::Chatwoot(ChatwootSettings {
            base_url: "https://chat.example.com".into(),
            account_id: 1,
            inbox_id: 2,
            api_access_token: secret("token"),
            inbox_secret: None,
            allow_unsigned_callbacks: true,
            callback_secret: secret("cb"),
        });
        let (name, plain) = chatwoot.to_stored().unwrap();
        let plain = plain.unwrap();
        assert_eq!(name, "chatwoot");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&plain).unwrap(),
            serde_json::json!({"base_url": "https://chat.example.com", "account_id": 1,
                "inbox_id": 2, "api_access_token": "token", "inbox_secret": null,
                "allow_unsigned_callbacks": true, "callback_secret": "cb"})
        );
        let DestinationKind::Chatwoot(back) =
            DestinationKind::from_stored("chatwoot", Some(&plain)).unwrap()
        else {
            panic!("read back as another kind");
        };
        assert_eq!((back.account_id, back.inbox_id), (1, 2));
        assert_eq!(back.api_access_token.expose_secret(), "token");
        assert!(matches!(
            DestinationKind::from_stored("webhook", None).unwrap(),
            DestinationKind::Webhook
        ));
        assert!(DestinationKind::from_stored("zendesk", None).is_err());
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

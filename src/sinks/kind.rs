//! The stream kinds as the admin API and the CLI see them: one [`Kind`] implementation for the
//! three brokers, each broker supplying its [`Spec`] (its URL schemes, its own fields such as
//! the stream and the subject template, and how they are checked).

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::settings::{Broker, Schemes};
use crate::domain::destination::{Destination, DestinationKind, FieldError};
use crate::forwarder::Deliverer;
use crate::kinds::{Kind, Made};

/// A stream destination's settings: its broker, and where on it events go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkSettings<T> {
    pub broker: Broker,
    pub target: T,
}

/// What one broker kind adds to the shared stream kind.
pub trait Spec: Send + Sync + 'static {
    /// Where on the broker events go (a stream and a subject template, ...).
    type Target: Serialize + Clone;
    const NAME: &'static str;
    /// Every body field it takes, the shared ones (`url`, credentials) included.
    const FIELDS: &'static [&'static str];
    const SCHEMES: Schemes;
    /// Its own fields from a body, over `current` on an update.
    fn target(
        fields: &Map<String, Value>,
        current: Option<&Self::Target>,
    ) -> Result<Self::Target, FieldError>;
    fn wrap(settings: SinkSettings<Self::Target>) -> DestinationKind;
    fn settings(kind: &DestinationKind) -> Option<&SinkSettings<Self::Target>>;
    fn deliverer() -> &'static dyn Deliverer;
}

/// The stream kind of one broker.
pub struct SinkKind<S>(PhantomData<S>);

impl<S> SinkKind<S> {
    pub const fn new() -> Self {
        SinkKind(PhantomData)
    }
}

impl<S> Default for SinkKind<S> {
    fn default() -> Self {
        SinkKind::new()
    }
}

fn made<S: Spec>(settings: SinkSettings<S::Target>) -> Made {
    Made {
        url: settings.broker.url.clone(),
        target_field: "url",
        kind: S::wrap(settings),
    }
}

impl<S: Spec> Kind for SinkKind<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn fields(&self) -> &'static [&'static str] {
        S::FIELDS
    }

    fn nullable_fields(&self) -> &'static [&'static str] {
        &["username", "password", "token", "max_len"]
    }

    fn deliverer(&self) -> &'static dyn Deliverer {
        S::deliverer()
    }

    fn create(&self, fields: &Map<String, Value>) -> Result<Made, FieldError> {
        let broker = Broker::create(fields, S::SCHEMES)?;
        let target = S::target(fields, None)?;
        Ok(made::<S>(SinkSettings { broker, target }))
    }

    fn update(
        &self,
        current: &DestinationKind,
        fields: &Map<String, Value>,
    ) -> Result<Option<Made>, FieldError> {
        let Some(current) = S::settings(current) else {
            return Ok(None);
        };
        if !fields.keys().any(|f| S::FIELDS.contains(&f.as_str())) {
            return Ok(None);
        }
        let broker = current.broker.update(fields, S::SCHEMES)?;
        let target = S::target(fields, Some(&current.target))?;
        Ok(Some(made::<S>(SinkSettings { broker, target })))
    }

    fn shown(&self, d: &Destination, _public_base: &str) -> Map<String, Value> {
        let Some(settings) = S::settings(&d.kind) else {
            return Map::new();
        };
        let mut out = settings.broker.shown();
        if let Ok(Value::Object(target)) = serde_json::to_value(&settings.target) {
            out.extend(target);
        }
        out
    }
}

/// The stream kinds' fields of a create or update body (as documented in the API; `url` is the
/// broker's, e.g. `nats://10.0.0.7:4222`, `redis://10.0.0.8:6379/0`, `amqp://10.0.0.9:5672/%2f`).
#[derive(Deserialize, ToSchema)]
pub struct StreamFields {
    /// The broker's user name (with `password`). `null` in an update removes it.
    pub username: Option<String>,
    /// Encrypted at rest, masked in every answer. `null` in an update removes it.
    pub password: Option<String>,
    /// NATS: a token instead of `username` and `password`. Encrypted at rest, masked.
    pub token: Option<String>,
    /// NATS: the JetStream stream that must take the subjects (`Nats-Expected-Stream`).
    #[schema(example = "OMNIGATE")]
    pub stream: Option<String>,
    /// NATS: the subject template; placeholders `{channel}`, `{type}`, `{conversation}`,
    /// `{provider}`. Default `omnigate.{channel}.{type}`.
    #[schema(example = "omnigate.{channel}.{type}")]
    pub subject: Option<String>,
    /// Redis Streams: the stream key template (same placeholders). Default `omnigate:events`.
    #[schema(example = "omnigate:events")]
    pub stream_key: Option<String>,
    /// Redis Streams: trims the stream to about this many entries (`XADD ... MAXLEN ~`).
    /// `null` in an update stops trimming.
    pub max_len: Option<u64>,
    /// AMQP: the exchange events are published to.
    #[schema(example = "omnigate")]
    pub exchange: Option<String>,
    /// AMQP: the routing-key template (same placeholders). Default `omnigate.{channel}.{type}`.
    pub routing_key: Option<String>,
}

/// What a stream destination adds to its answer (secrets masked).
#[derive(Serialize, ToSchema)]
pub struct StreamView {
    #[schema(required = false)]
    pub username: Option<String>,
    /// Masked (`****` and its last four characters).
    #[schema(required = false)]
    pub password: Option<String>,
    /// NATS, when set: masked.
    #[schema(required = false)]
    pub token: Option<String>,
    #[schema(required = false)]
    pub stream: String,
    #[schema(required = false)]
    pub subject: String,
    #[schema(required = false)]
    pub stream_key: String,
    #[schema(required = false)]
    pub max_len: Option<u64>,
    #[schema(required = false)]
    pub exchange: String,
    #[schema(required = false)]
    pub routing_key: String,
}

//! The `nats` destination kind: events published to a JetStream stream through `async-nats`,
//! each with `Nats-Msg-Id` set to the event id, so JetStream itself drops a second copy within
//! the stream's duplicate window, and `Nats-Expected-Stream` set to the destination's stream,
//! so a subject another stream took is refused rather than stored elsewhere. Delivered once the
//! stream's publish ack arrives.

use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::{ConnectErrorKind, ConnectOptions};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attempt::{Published, Sink};
use super::kind::{SinkKind, SinkSettings, Spec};
use super::links::{Failure, Link, Links, Pool};
use super::message::Message;
use super::settings::{given, name, Schemes};
use super::template::{self, Syntax};
use crate::domain::destination::{Destination, DestinationKind, FieldError};
use crate::domain::secret::ExposeSecret;
use crate::error::Code;
use crate::forwarder::Deliverer;

/// Where on the server events go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NatsTarget {
    /// The stream that must take the subjects.
    pub stream: String,
    /// The subject template.
    pub subject: String,
}

pub type NatsSettings = SinkSettings<NatsTarget>;

const DEFAULT_SUBJECT: &str = "omnigate.{channel}.{type}";

pub struct Nats;

pub static KIND: SinkKind<Nats> = SinkKind::new();

impl Spec for Nats {
    type Target = NatsTarget;
    const NAME: &'static str = "nats";
    const FIELDS: &'static [&'static str] =
        &["url", "username", "password", "token", "stream", "subject"];
    const SCHEMES: Schemes = &[("nats", 4222), ("tls", 4222)];

    fn target(
        fields: &Map<String, Value>,
        current: Option<&NatsTarget>,
    ) -> Result<NatsTarget, FieldError> {
        // JetStream stream names may not hold these (they become subject tokens).
        let stream_name = |v| {
            name(
                v,
                "stream",
                Code::InvalidStream,
                &['.', '*', '>', '/', '\\'],
            )
        };
        let stream = match (given(fields, "stream"), current) {
            (Some(v), _) => stream_name(v)?,
            (None, Some(c)) => c.stream.clone(),
            (None, None) => {
                return Err(FieldError::new(
                    Code::InvalidStream,
                    "stream",
                    "stream is required for a nats destination (a JetStream stream's name)",
                ))
            }
        };
        let subject = match (given(fields, "subject"), current) {
            (Some(v), _) => template::validate(
                v.as_str().unwrap_or_default(),
                "subject",
                Syntax::NatsSubject,
            )?,
            (None, Some(c)) => c.subject.clone(),
            (None, None) => DEFAULT_SUBJECT.to_string(),
        };
        Ok(NatsTarget { stream, subject })
    }

    fn wrap(settings: NatsSettings) -> DestinationKind {
        DestinationKind::Nats(settings)
    }

    fn settings(kind: &DestinationKind) -> Option<&NatsSettings> {
        match kind {
            DestinationKind::Nats(s) => Some(s),
            _ => None,
        }
    }

    fn deliverer() -> &'static dyn Deliverer {
        &Nats
    }
}

/// A connected client and its JetStream context (acks awaited within the attempt's timeout).
pub struct NatsLink {
    client: async_nats::Client,
    jetstream: async_nats::jetstream::Context,
}

impl Link for NatsLink {
    fn is_open(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

fn connect_failure(e: async_nats::ConnectError) -> Failure {
    let detail = format!("nats: {e}");
    match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            Failure::permanent(
                "auth_failed",
                format!("{detail}: the server refused the destination's credentials"),
            )
        }
        ConnectErrorKind::TimedOut => Failure::broken("timeout", detail),
        _ => Failure::broken("connect_failed", detail),
    }
}

#[async_trait]
impl Sink for Nats {
    type Link = NatsLink;

    fn pool(links: &Links) -> &Pool<NatsLink> {
        &links.nats
    }

    async fn connect(&self, dest: &Destination, timeout: Duration) -> Result<NatsLink, Failure> {
        let Some(s) = Nats::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not a nats destination",
            ));
        };
        // Only the server the operator named (never one a cluster advertises: the egress
        // rules checked this one).
        let mut options = ConnectOptions::new()
            .name("omnigate")
            .connection_timeout(timeout)
            .ignore_discovered_servers();
        if let Some(token) = &s.broker.token {
            options = options.token(token.expose_secret().to_string());
        }
        if let (Some(user), Some(password)) = (&s.broker.username, &s.broker.password) {
            options = options.user_and_password(user.clone(), password.expose_secret().to_string());
        }
        let client = options
            .connect(s.broker.url.as_str())
            .await
            .map_err(connect_failure)?;
        let jetstream = async_nats::jetstream::ContextBuilder::new()
            .timeout(timeout)
            .build(client.clone());
        Ok(NatsLink { client, jetstream })
    }

    async fn publish(
        &self,
        link: &NatsLink,
        dest: &Destination,
        message: &Message,
    ) -> Result<Published, Failure> {
        let Some(s) = Nats::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not a nats destination",
            ));
        };
        // A client that lost its server would buffer the publish and send it on reconnecting,
        // after this attempt was recorded as failed: refuse it now instead.
        if !link.is_open() {
            return Err(Failure::broken(
                "connect_failed",
                "nats: the connection to the server is down",
            ));
        }
        let subject = template::render(&s.target.subject, message);
        let mut publish = PublishMessage::build()
            .payload(message.body.clone().into())
            .header("Content-Type", "application/json");
        for (name, value) in message.headers() {
            publish = publish.header(name, value);
        }
        let publish = publish
            .message_id(&message.event_id)
            .expected_stream(&s.target.stream);
        let ack = link
            .jetstream
            .send_publish(subject.clone(), publish)
            .await
            .map_err(publish_failure)?
            .await
            .map_err(publish_failure)?;
        if ack.duplicate {
            return Ok(Published::Duplicate(format!(
                "stream {} already holds event {} (Nats-Msg-Id, within its duplicate window); \
                 not stored again",
                ack.stream, message.event_id
            )));
        }
        Ok(Published::Stored)
    }
}

fn publish_failure(e: async_nats::jetstream::context::PublishError) -> Failure {
    let detail = format!("nats: {e}");
    match e.kind() {
        PublishErrorKind::StreamNotFound => Failure::retry(
            "stream_not_found",
            format!("{detail}: no JetStream stream takes this subject; create the stream or change the subject"),
        ),
        PublishErrorKind::TimedOut => Failure::broken("timeout", detail),
        PublishErrorKind::BrokenPipe => Failure::broken("connect_failed", detail),
        _ => Failure::retry("publish_failed", detail),
    }
}

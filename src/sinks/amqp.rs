//! The `amqp` destination kind: events published to a RabbitMQ (AMQP 0.9.1) exchange through
//! `lapin`, on a channel in confirm mode, `mandatory` and persistent, with the event id as the
//! message id. Delivered once the broker's publisher confirm acks it; a nack, or an event no
//! queue is bound to take (returned as unroutable), is retried on the schedule. AMQP has no
//! de-duplication of its own: `message_id` is the key a consumer de-duplicates by.

use std::time::Duration;

use async_trait::async_trait;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use lapin::publisher_confirm::Confirmation;
use lapin::types::{AMQPValue, FieldTable};
use lapin::uri::{AMQPUri, AMQPUserInfo};
use lapin::{BasicProperties, Connection, ConnectionProperties};
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

/// Where on the broker events go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AmqpTarget {
    pub exchange: String,
    /// The routing-key template.
    pub routing_key: String,
}

pub type AmqpSettings = SinkSettings<AmqpTarget>;

const DEFAULT_ROUTING_KEY: &str = "omnigate.{channel}.{type}";

pub struct Amqp;

pub static KIND: SinkKind<Amqp> = SinkKind::new();

impl Spec for Amqp {
    type Target = AmqpTarget;
    const NAME: &'static str = "amqp";
    const FIELDS: &'static [&'static str] =
        &["url", "username", "password", "exchange", "routing_key"];
    const SCHEMES: Schemes = &[("amqp", 5672), ("amqps", 5671)];

    fn target(
        fields: &Map<String, Value>,
        current: Option<&AmqpTarget>,
    ) -> Result<AmqpTarget, FieldError> {
        let exchange = match (given(fields, "exchange"), current) {
            (Some(v), _) => name(v, "exchange", Code::InvalidExchange, &[])?,
            (None, Some(c)) => c.exchange.clone(),
            (None, None) => {
                return Err(FieldError::new(
                    Code::InvalidExchange,
                    "exchange",
                    "exchange is required for an amqp destination",
                ))
            }
        };
        let routing_key = match (given(fields, "routing_key"), current) {
            (Some(v), _) => template::validate(
                v.as_str().unwrap_or_default(),
                "routing_key",
                Syntax::RoutingKey,
            )?,
            (None, Some(c)) => c.routing_key.clone(),
            (None, None) => DEFAULT_ROUTING_KEY.to_string(),
        };
        Ok(AmqpTarget {
            exchange,
            routing_key,
        })
    }

    fn wrap(settings: AmqpSettings) -> DestinationKind {
        DestinationKind::Amqp(settings)
    }

    fn settings(kind: &DestinationKind) -> Option<&AmqpSettings> {
        match kind {
            DestinationKind::Amqp(s) => Some(s),
            _ => None,
        }
    }

    fn deliverer() -> &'static dyn Deliverer {
        &Amqp
    }
}

/// A connection and its one channel in confirm mode (lanes publish on it concurrently; the
/// broker confirms each publish by its delivery tag).
pub struct AmqpLink {
    connection: Connection,
    channel: lapin::Channel,
}

impl Link for AmqpLink {
    fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

fn failure(e: lapin::Error) -> Failure {
    let detail = format!("amqp: {e}");
    match &e {
        lapin::Error::ProtocolError(p) => match p.kind() {
            AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED)
            | AMQPErrorKind::Hard(AMQPHardError::NOTALLOWED) => Failure::permanent(
                "auth_failed",
                format!("{detail}: the broker refused the destination's credentials or their permissions"),
            ),
            AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND) => Failure::broken(
                "exchange_not_found",
                format!("{detail}: declare the exchange or change the destination's exchange"),
            ),
            _ => Failure::broken("publish_failed", detail),
        },
        lapin::Error::IOError(_) | lapin::Error::InvalidConnectionState(_) => {
            Failure::broken("connect_failed", detail)
        }
        _ => Failure::broken("publish_failed", detail),
    }
}

#[async_trait]
impl Sink for Amqp {
    type Link = AmqpLink;

    fn pool(links: &Links) -> &Pool<AmqpLink> {
        &links.amqp
    }

    async fn connect(&self, dest: &Destination, timeout: Duration) -> Result<AmqpLink, Failure> {
        let Some(s) = Amqp::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not an amqp destination",
            ));
        };
        let mut uri: AMQPUri = s
            .broker
            .url
            .parse()
            .map_err(|e| Failure::permanent("invalid_url", format!("amqp: {e}")))?;
        if let (Some(user), Some(password)) = (&s.broker.username, &s.broker.password) {
            uri.authority.userinfo = AMQPUserInfo {
                username: user.clone(),
                password: password.expose_secret().to_string(),
            };
        }
        uri.query.connection_timeout = Some(timeout.as_millis() as u64);
        let properties = ConnectionProperties::default()
            .with_executor(tokio_executor_trait::Tokio::current())
            .with_reactor(tokio_reactor_trait::Tokio)
            .with_connection_name("omnigate".into());
        let connection = Connection::connect_uri(uri, properties)
            .await
            .map_err(failure)?;
        let channel = connection.create_channel().await.map_err(failure)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(failure)?;
        Ok(AmqpLink {
            connection,
            channel,
        })
    }

    async fn publish(
        &self,
        link: &AmqpLink,
        dest: &Destination,
        message: &Message,
    ) -> Result<Published, Failure> {
        let Some(s) = Amqp::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not an amqp destination",
            ));
        };
        let mut headers = FieldTable::default();
        for (name, value) in message.headers() {
            headers.insert(name.into(), AMQPValue::LongString(value.into()));
        }
        let properties = BasicProperties::default()
            .with_message_id(message.event_id.as_str().into())
            .with_type(message.event_type.as_str().into())
            .with_content_type("application/json".into())
            .with_app_id("omnigate".into())
            .with_delivery_mode(2)
            .with_headers(headers);
        let routing_key = template::render(&s.target.routing_key, message);
        let confirmation = link
            .channel
            .basic_publish(
                &s.target.exchange,
                &routing_key,
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &message.body,
                properties,
            )
            .await
            .map_err(failure)?
            .await
            .map_err(failure)?;
        match confirmation {
            Confirmation::Ack(None) => Ok(Published::Stored),
            Confirmation::Ack(Some(returned)) => Err(Failure::retry(
                "unroutable",
                format!(
                    "amqp: exchange {} routed {routing_key} to no queue ({}); bind a queue that takes it",
                    s.target.exchange, returned.reply_text
                ),
            )),
            Confirmation::Nack(_) => Err(Failure::retry(
                "nacked",
                "amqp: the broker could not take the message (publisher confirm nack)",
            )),
            Confirmation::NotRequested => Err(Failure::broken(
                "publish_failed",
                "amqp: the channel is not in confirm mode",
            )),
        }
    }
}

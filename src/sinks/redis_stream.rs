//! The `redis_stream` destination kind: each event appended to a Redis stream with `XADD`
//! (through the `redis` crate the store already uses), its headers and its body as the entry's
//! fields, optionally trimmed with `MAXLEN ~`. Delivered once Redis replied with the entry's
//! id. Redis has no de-duplication of its own: the `omnigate-event-id` field is the key a
//! consumer de-duplicates a retry or a replay by.

use std::time::Duration;

use async_trait::async_trait;
use redis::{AsyncConnectionConfig, ErrorKind, IntoConnectionInfo, RedisError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attempt::{Published, Sink};
use super::kind::{SinkKind, SinkSettings, Spec};
use super::links::{Failure, Link, Links, Pool};
use super::message::Message;
use super::settings::{given, Schemes};
use super::template::{self, Syntax};
use crate::domain::destination::{Destination, DestinationKind, FieldError};
use crate::domain::secret::ExposeSecret;
use crate::error::Code;
use crate::forwarder::Deliverer;

/// Where in Redis events go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedisTarget {
    /// The stream key template.
    pub stream_key: String,
    /// `MAXLEN ~` trimming; `None`: the stream keeps everything.
    pub max_len: Option<u64>,
}

pub type RedisStreamSettings = SinkSettings<RedisTarget>;

const DEFAULT_KEY: &str = "omnigate:events";

/// The entry field that holds the envelope.
pub const BODY_FIELD: &str = "body";

pub struct RedisStream;

pub static KIND: SinkKind<RedisStream> = SinkKind::new();

fn max_len(value: &Value) -> Result<Option<u64>, FieldError> {
    match value {
        Value::Null => Ok(None),
        v => v.as_u64().filter(|n| *n > 0).map(Some).ok_or_else(|| {
            FieldError::new(
                Code::InvalidMaxLen,
                "max_len",
                "max_len must be a positive integer (or null: no trimming)",
            )
        }),
    }
}

impl Spec for RedisStream {
    type Target = RedisTarget;
    const NAME: &'static str = "redis_stream";
    const FIELDS: &'static [&'static str] =
        &["url", "username", "password", "stream_key", "max_len"];
    const SCHEMES: Schemes = &[("redis", 6379)];

    fn target(
        fields: &Map<String, Value>,
        current: Option<&RedisTarget>,
    ) -> Result<RedisTarget, FieldError> {
        let stream_key = match (given(fields, "stream_key"), current) {
            (Some(v), _) => template::validate(
                v.as_str().unwrap_or_default(),
                "stream_key",
                Syntax::RedisKey,
            )?,
            (None, Some(c)) => c.stream_key.clone(),
            (None, None) => DEFAULT_KEY.to_string(),
        };
        let max_len = match (fields.get("max_len"), current) {
            (Some(v), _) => max_len(v)?,
            (None, Some(c)) => c.max_len,
            (None, None) => None,
        };
        Ok(RedisTarget {
            stream_key,
            max_len,
        })
    }

    fn wrap(settings: RedisStreamSettings) -> DestinationKind {
        DestinationKind::RedisStream(settings)
    }

    fn settings(kind: &DestinationKind) -> Option<&RedisStreamSettings> {
        match kind {
            DestinationKind::RedisStream(s) => Some(s),
            _ => None,
        }
    }

    fn deliverer() -> &'static dyn Deliverer {
        &RedisStream
    }
}

/// A multiplexed connection: lanes of one destination pipeline their `XADD`s on it.
pub struct RedisLink(redis::aio::MultiplexedConnection);

impl Link for RedisLink {
    /// The connection tells of a loss only through a failed command, which forgets it.
    fn is_open(&self) -> bool {
        true
    }
}

fn failure(e: RedisError) -> Failure {
    let detail = format!("redis: {e}");
    let refused_login = e.kind() == ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"));
    if refused_login {
        Failure::permanent(
            "auth_failed",
            format!("{detail}: Redis refused the destination's credentials or their permissions"),
        )
    } else if e.is_timeout() {
        Failure::broken("timeout", detail)
    } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
        Failure::broken("connect_failed", detail)
    } else if e.code() == Some("WRONGTYPE") {
        Failure::permanent(
            "wrong_type",
            format!("{detail}: the stream key holds another kind of value"),
        )
    } else {
        Failure::retry("redis_error", detail)
    }
}

#[async_trait]
impl Sink for RedisStream {
    type Link = RedisLink;

    fn pool(links: &Links) -> &Pool<RedisLink> {
        &links.redis
    }

    async fn connect(&self, dest: &Destination, timeout: Duration) -> Result<RedisLink, Failure> {
        let Some(s) = RedisStream::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not a redis_stream destination",
            ));
        };
        let mut info = s
            .broker
            .url
            .as_str()
            .into_connection_info()
            .map_err(failure)?;
        info.redis.username = s.broker.username.clone();
        info.redis.password = s
            .broker
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_string());
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout);
        let connection = redis::Client::open(info)
            .map_err(failure)?
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(failure)?;
        Ok(RedisLink(connection))
    }

    async fn publish(
        &self,
        link: &RedisLink,
        dest: &Destination,
        message: &Message,
    ) -> Result<Published, Failure> {
        let Some(s) = RedisStream::settings(&dest.kind) else {
            return Err(Failure::permanent(
                "invalid_settings",
                "not a redis_stream destination",
            ));
        };
        let mut xadd = redis::cmd("XADD");
        xadd.arg(template::render(&s.target.stream_key, message));
        if let Some(n) = s.target.max_len {
            xadd.arg("MAXLEN").arg("~").arg(n);
        }
        xadd.arg("*");
        for (name, value) in message.headers() {
            xadd.arg(name).arg(value);
        }
        xadd.arg(BODY_FIELD).arg(&message.body);
        let mut connection = link.0.clone();
        let _id: String = xadd.query_async(&mut connection).await.map_err(failure)?;
        Ok(Published::Stored)
    }
}

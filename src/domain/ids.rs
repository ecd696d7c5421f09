//! The id types: one per kind of thing, so the compiler refuses a destination id where a
//! channel id belongs. On the wire and in both store engines an id is the same plain string as
//! ever (`chn_...`); `crate::ids` makes new ones.
//!
//! Two ways in: `parse` (and `FromStr`) checks the kind's prefix, for text typed by a person;
//! `From<String>` and `Deserialize` take the string as it is, for ids read back from the store
//! or named in a request. A request naming an id that is not of its kind gets the same answer
//! as one naming an id that does not exist: the store finds neither.

use std::fmt;
use std::sync::Arc;

/// A text that is not an id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not {what} (it starts with \"{prefix}\")")]
pub struct IdError {
    pub text: String,
    pub what: &'static str,
    pub prefix: &'static str,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        ///
        /// Cloning shares the text (an `Arc<str>`).
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The prefix every generated id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Reads an id typed by a person: it must start with the kind's prefix.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                match text.strip_prefix($prefix) {
                    Some(rest) if !rest.is_empty() => Ok(Self(text.into())),
                    _ => Err(IdError {
                        text: text.to_string(),
                        what: $what,
                        prefix: $prefix,
                    }),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(text.into())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(text.into())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.as_ref().to_string()
            }
        }

        impl From<$name> for serde_json::Value {
            fn from(id: $name) -> serde_json::Value {
                serde_json::Value::String(id.into())
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                *self.0 == **other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == &*other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == &*other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                **self == *other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Shown as the string it is, as a `String` field was.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self::from)
            }
        }

        /// A plain string in the OpenAPI document, as the API has always shown ids.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }

        impl utoipa::ToSchema for $name {}

        // Both store engines keep an id as its string.
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(&*self.0))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map(Self::from)
            }
        }

        impl redis::ToRedisArgs for $name {
            fn write_redis_args<W: ?Sized + redis::RedisWrite>(&self, out: &mut W) {
                out.write_arg(self.0.as_bytes())
            }
        }

        impl redis::FromRedisValue for $name {
            fn from_redis_value(v: &redis::Value) -> redis::RedisResult<Self> {
                String::from_redis_value(v).map(Self::from)
            }
        }
    };
}

id_type!(
    /// A channel: one provider account connected to the gateway (`chn_`).
    ChannelId, "chn_", "a channel id"
);
id_type!(
    /// A destination events are forwarded to (`dst_`).
    DestinationId, "dst_", "a destination id"
);
id_type!(
    /// A stored event (`evt_`, time-ordered).
    EventId, "evt_", "an event id"
);
id_type!(
    /// One event on its way to one destination (`dlv_`, time-ordered).
    DeliveryId, "dlv_", "a delivery id"
);
id_type!(
    /// A conversation, derived from its channel and the provider's key for it (`cnv_`).
    ConversationId, "cnv_", "a conversation id"
);
id_type!(
    /// A reply relayed to a provider (`msg_`, time-ordered).
    MessageId, "msg_", "a message id"
);
id_type!(
    /// An API token (`tok_`); never its secret value.
    TokenId, "tok_", "a token id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_checks_the_kind_prefix() {
        assert_eq!(
            ChannelId::parse("chn_1").map(|c| c.to_string()).ok(),
            Some("chn_1".into())
        );
        assert!(ChannelId::parse("dst_1").is_err());
        assert!(ChannelId::parse("chn_").is_err());
        assert!("cnv_x".parse::<ConversationId>().is_ok());
        let err = "x".parse::<MessageId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"x\" is not a message id (it starts with \"msg_\")"
        );
    }

    #[test]
    fn an_id_is_the_same_string_on_the_wire_and_in_debug_output() {
        let id = EventId::from("evt_1");
        assert_eq!(serde_json::to_value(&id).ok(), Some("evt_1".into()));
        assert_eq!(
            serde_json::from_value::<EventId>("evt_1".into()).ok(),
            Some(id.clone())
        );
        assert_eq!(format!("{id:?}"), format!("{:?}", "evt_1"));
        assert_eq!(id, "evt_1");
    }
}

//! Secrets held in memory. A `SecretString` (the `secrecy` crate) prints as `[REDACTED]`, has
//! no `Serialize`, and is read only through `expose_secret()`, so a destination's signing
//! secret, a helpdesk token or the admin token cannot reach a log, a page or an API answer by
//! accident. Channel credentials are a `Credentials` box of the same kind.

use secrecy::{CloneableSecret, SecretBox};
use serde_json::{Map, Value};
use zeroize::Zeroize;

pub use secrecy::{ExposeSecret, SecretString};

/// A copy of a secret as a `SecretString`.
pub fn secret(s: impl Into<String>) -> SecretString {
    SecretString::from(s.into())
}

/// Serde for a `SecretString` field of a record that is only ever written sealed (the store's
/// sealed settings): the plain value goes into the sealed bytes.
pub mod sealed {
    use super::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }

    /// The same for an optional secret.
    pub mod option {
        use super::{ExposeSecret, SecretString};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_some(v.expose_secret()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SecretString>, D::Error> {
            Option::<String>::deserialize(d).map(|v| v.map(SecretString::from))
        }
    }
}

/// A channel's credentials: the provider's JSON object of keys and tokens.
#[derive(Clone, Default)]
pub struct CredentialMap(Map<String, Value>);

impl Zeroize for CredentialMap {
    fn zeroize(&mut self) {
        fn wipe(v: &mut Value) {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(a) => a.iter_mut().for_each(wipe),
                Value::Object(o) => o.values_mut().for_each(wipe),
                _ => {}
            }
        }
        self.0.values_mut().for_each(wipe);
        self.0.clear();
    }
}

impl CloneableSecret for CredentialMap {}

/// Channel credentials as held in memory: `Debug` shows `[REDACTED]`, reading them is
/// `expose_secret()`.
pub type Credentials = SecretBox<CredentialMap>;

impl CredentialMap {
    /// Boxes a credentials object.
    pub fn boxed(map: Map<String, Value>) -> Credentials {
        SecretBox::new(Box::new(CredentialMap(map)))
    }

    /// A copy of the object, to change and box again.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0.clone()
    }
}

impl std::ops::Deref for CredentialMap {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_credentials_print_redacted_and_read_back_exposed() {
        let s = secret("whsec_do-not-print");
        assert!(!format!("{s:?}").contains("do-not-print"));
        assert_eq!(s.expose_secret(), "whsec_do-not-print");
        let mut map = Map::new();
        map.insert("api_key".into(), Value::from("key-do-not-print"));
        let c = CredentialMap::boxed(map);
        assert!(!format!("{c:?}").contains("do-not-print"));
        assert_eq!(c.expose_secret()["api_key"], "key-do-not-print");
    }

    #[test]
    fn a_sealed_secret_field_round_trips_through_json() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct S {
            #[serde(with = "sealed")]
            token: SecretString,
            #[serde(with = "sealed::option", default)]
            other: Option<SecretString>,
        }
        let json = serde_json::to_string(&S {
            token: secret("t"),
            other: None,
        })
        .unwrap_or_default();
        assert_eq!(json, r#"{"token":"t","other":null}"#);
        let back: S = serde_json::from_str(r#"{"token":"t"}"#).expect("parses");
        assert_eq!(back.token.expose_secret(), "t");
        assert!(back.other.is_none());
    }
}

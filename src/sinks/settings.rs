//! What every stream destination holds: its broker's URL and the credentials it connects with
//! (`username` and `password`, or for NATS a `token`), checked field by field when a destination
//! is registered or changed, sealed at rest and masked when shown. Plus the checks the kinds'
//! own fields share.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::crypto::mask;
use crate::domain::destination::FieldError;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::error::Code;

type FieldResult<T> = Result<T, FieldError>;

/// A broker's address and credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Broker {
    /// The broker's URL with its port spelled out (`nats://10.0.0.7:4222`), never credentials.
    pub url: String,
    pub username: Option<String>,
    #[serde(with = "crate::domain::secret::sealed::option", default)]
    pub password: Option<SecretString>,
    /// NATS only: a token instead of a user name and password.
    #[serde(with = "crate::domain::secret::sealed::option", default)]
    pub token: Option<SecretString>,
}

/// The URL schemes a broker kind takes, each with its default port.
pub type Schemes = &'static [(&'static str, u16)];

/// The credential fields, of which `null` in an update removes the value.
pub const CREDENTIALS: &[&str] = &["username", "password", "token"];

/// Credentials longer than this are a paste error.
const MAX_SECRET_LEN: usize = 4096;

impl Broker {
    /// A broker from a create body: `url` required, credentials optional.
    pub fn create(fields: &Map<String, Value>, schemes: Schemes) -> FieldResult<Broker> {
        let url = given(fields, "url")
            .ok_or_else(|| FieldError::new(Code::InvalidUrl, "url", "url is required"))?;
        let mut b = Broker {
            url: broker_url(url, schemes)?,
            username: None,
            password: None,
            token: None,
        };
        b.apply_credentials(fields)?;
        Ok(b)
    }

    /// `self` with the fields given in an update body changed.
    pub fn update(&self, fields: &Map<String, Value>, schemes: Schemes) -> FieldResult<Broker> {
        let mut b = self.clone();
        if let Some(url) = given(fields, "url") {
            b.url = broker_url(url, schemes)?;
        }
        b.apply_credentials(fields)?;
        Ok(b)
    }

    fn apply_credentials(&mut self, fields: &Map<String, Value>) -> FieldResult<()> {
        if let Some(v) = fields.get("username") {
            self.username = optional_text(v, "username")?;
        }
        if let Some(v) = fields.get("password") {
            self.password = optional_text(v, "password")?.map(SecretString::from);
        }
        if let Some(v) = fields.get("token") {
            self.token = optional_text(v, "token")?.map(SecretString::from);
        }
        let refuse = |field, detail: &str| {
            Err(FieldError::new(
                Code::InvalidBrokerCredentials,
                field,
                detail,
            ))
        };
        match (&self.username, &self.password, &self.token) {
            (Some(_), None, _) => refuse("password", "password is required with a username"),
            (None, Some(_), _) => refuse("username", "username is required with a password"),
            (Some(_), _, Some(_)) => refuse(
                "token",
                "token and username/password are two ways to log in; give one",
            ),
            _ => Ok(()),
        }
    }

    /// The broker's fields as shown: the URL, the user name, the secrets masked.
    pub fn shown(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("username".into(), self.username.clone().into());
        out.insert(
            "password".into(),
            self.password
                .as_ref()
                .map(|p| mask(p.expose_secret()))
                .into(),
        );
        if self.token.is_some() {
            out.insert(
                "token".into(),
                self.token.as_ref().map(|t| mask(t.expose_secret())).into(),
            );
        }
        out
    }
}

/// A field given with a value (`null` counts as absent).
pub fn given<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

fn optional_text(value: &Value, field: &'static str) -> FieldResult<Option<String>> {
    let s = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        _ => {
            return Err(FieldError::new(
                Code::InvalidBrokerCredentials,
                field,
                format!("{field} must be a string"),
            ))
        }
    };
    if s.is_empty() || s.len() > MAX_SECRET_LEN || s.chars().any(char::is_control) {
        return Err(FieldError::new(
            Code::InvalidBrokerCredentials,
            field,
            format!("{field} must be 1 to {MAX_SECRET_LEN} characters, none a control character"),
        ));
    }
    Ok(Some(s.clone()))
}

/// A broker URL of one of `schemes`, with a host, no credentials (they go in their own, sealed
/// fields) and its port spelled out, so the egress allowlist's `address:port` entries apply.
pub fn broker_url(value: &Value, schemes: Schemes) -> FieldResult<String> {
    let names = schemes
        .iter()
        .map(|(s, _)| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(" or ");
    let bad = |detail: String| FieldError::new(Code::InvalidUrl, "url", detail);
    let raw = value
        .as_str()
        .ok_or_else(|| bad("url must be a string".into()))?;
    let mut url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(format!("url: {e}")))?;
    let Some(&(_, port)) = schemes.iter().find(|(s, _)| *s == url.scheme()) else {
        return Err(bad(format!("url must be a {names} URL")));
    };
    if url.host_str().map_or(true, str::is_empty) {
        return Err(bad(format!("url must be a {names} URL with a host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("url must not have a query or a fragment".into()));
    }
    if crate::egress::has_userinfo(&url) {
        return Err(FieldError::new(
            Code::UrlHasCredentials,
            "url",
            "url must not hold a user name or password; give them as username and password \
             (or token), which are encrypted at rest",
        ));
    }
    if url.port().is_none() && url.set_port(Some(port)).is_err() {
        return Err(bad("url cannot take a port".into()));
    }
    Ok(url.to_string())
}

/// A plain name (a stream, an exchange): 1 to 255 visible characters, none of `forbidden`.
pub fn name(
    value: &Value,
    field: &'static str,
    code: Code,
    forbidden: &[char],
) -> FieldResult<String> {
    let s = value.as_str().map(str::trim).unwrap_or_default();
    let ok = !s.is_empty()
        && s.len() <= 255
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || forbidden.contains(&c));
    if !ok || !value.is_string() {
        let also = if forbidden.is_empty() {
            String::new()
        } else {
            format!(
                ", none of {}",
                forbidden
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        return Err(FieldError::new(
            code,
            field,
            format!("{field} must be 1 to 255 characters without whitespace{also}"),
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NATS: Schemes = &[("nats", 4222), ("tls", 4222)];

    #[test]
    fn a_broker_url_gets_its_default_port_and_no_credentials() {
        assert_eq!(
            broker_url(&json!("nats://10.0.0.7"), NATS).unwrap(),
            "nats://10.0.0.7:4222"
        );
        assert_eq!(
            broker_url(&json!("tls://nats.example.com:7422"), NATS).unwrap(),
            "tls://nats.example.com:7422"
        );
        let e = broker_url(&json!("http://10.0.0.7"), NATS).unwrap_err();
        assert_eq!(
            (e.code, e.detail.as_str()),
            (Code::InvalidUrl, "url must be a nats:// or tls:// URL")
        );
        let e = broker_url(&json!("nats://u:p@10.0.0.7"), NATS).unwrap_err();
        assert_eq!(e.code, Code::UrlHasCredentials);
        assert_eq!(
            broker_url(&json!(7), NATS).unwrap_err().code,
            Code::InvalidUrl
        );
    }

    #[test]
    fn credentials_come_in_pairs_and_are_masked_when_shown() {
        let fields = |v: Value| v.as_object().unwrap().clone();
        let b = Broker::create(
            &fields(
                json!({"url": "nats://n:4222", "username": "app", "password": "a-long-s3cret-password"}),
            ),
            NATS,
        )
        .unwrap();
        assert_eq!(
            Value::Object(b.shown()),
            json!({"username": "app", "password": "****word"})
        );
        let e = Broker::create(&fields(json!({"url": "nats://n", "username": "app"})), NATS)
            .unwrap_err();
        assert_eq!(
            (e.code, e.field),
            (Code::InvalidBrokerCredentials, "password")
        );
        let e = b.update(&fields(json!({"token": "t"})), NATS).unwrap_err();
        assert_eq!(e.field, "token");
        let cleared = b
            .update(
                &fields(json!({"username": null, "password": null, "token": "tok"})),
                NATS,
            )
            .unwrap();
        assert_eq!((cleared.username, cleared.password.is_none()), (None, true));
    }
}

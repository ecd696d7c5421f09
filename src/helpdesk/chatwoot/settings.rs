//! The fields of a `chatwoot` destination as the admin API takes them: each one checked on its
//! own, so a bad value is a 422 whose code names the field (`invalid_base_url`, ...).

use serde::Deserialize;
use serde_json::Value;

use crate::domain::destination::ChatwootSettings;
use crate::domain::secret::SecretString;
use crate::error::Code;
use crate::error::{ApiError, ApiResult};

/// Chatwoot's tokens and secrets are 24 to 64 characters; far longer is a paste error.
const MAX_SECRET_LEN: usize = 512;

/// A fresh unguessable callback secret (256 bits, URL-safe).
pub fn new_callback_secret() -> SecretString {
    SecretString::from(crate::ids::webhook_key())
}

/// The Chatwoot fields of a create or update body, unparsed.
#[derive(Debug, Default, Deserialize)]
pub struct ChatwootFields {
    pub base_url: Option<Value>,
    pub account_id: Option<Value>,
    pub inbox_id: Option<Value>,
    pub api_access_token: Option<Value>,
    pub inbox_secret: Option<Value>,
    pub allow_unsigned_callbacks: Option<Value>,
}

impl ChatwootFields {
    pub fn is_empty(&self) -> bool {
        self.base_url.is_none()
            && self.account_id.is_none()
            && self.inbox_id.is_none()
            && self.api_access_token.is_none()
            && self.inbox_secret.is_none()
            && self.allow_unsigned_callbacks.is_none()
    }

    /// The first field given, for "not used by this kind" errors.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("base_url", self.base_url.is_some()),
            ("account_id", self.account_id.is_some()),
            ("inbox_id", self.inbox_id.is_some()),
            ("api_access_token", self.api_access_token.is_some()),
            ("inbox_secret", self.inbox_secret.is_some()),
            (
                "allow_unsigned_callbacks",
                self.allow_unsigned_callbacks.is_some(),
            ),
        ]
        .into_iter()
        .find(|(_, given)| *given)
        .map(|(name, _)| name)
    }

    /// Settings for a new destination: every required field present and valid.
    pub fn create(&self) -> ApiResult<ChatwootSettings> {
        let allow_unsigned = self
            .allow_unsigned_callbacks
            .as_ref()
            .map(allow_unsigned)
            .transpose()?
            .unwrap_or(false);
        let settings = ChatwootSettings {
            base_url: base_url(required(&self.base_url, "base_url")?)?,
            account_id: positive_id(required(&self.account_id, "account_id")?, "account_id")?,
            inbox_id: positive_id(required(&self.inbox_id, "inbox_id")?, "inbox_id")?,
            api_access_token: secret(
                required(&self.api_access_token, "api_access_token")?,
                "api_access_token",
            )?
            .into(),
            inbox_secret: self.inbox_secret_value()?,
            allow_unsigned_callbacks: allow_unsigned,
            callback_secret: new_callback_secret(),
        };
        check_signing(&settings)?;
        Ok(settings)
    }

    /// `current` with the given fields changed; `inbox_secret: null` removes the secret.
    /// `account_id` and `inbox_id` stay as they are.
    pub fn update(&self, current: &ChatwootSettings) -> ApiResult<ChatwootSettings> {
        let mut s = current.clone();
        if let Some(v) = &self.base_url {
            s.base_url = base_url(v)?;
        }
        // What omnigate created belongs to one account's inbox: moving the destination to
        // another would point its remembered contacts and conversations at the wrong objects.
        for (field, value, current) in [
            ("account_id", &self.account_id, current.account_id),
            ("inbox_id", &self.inbox_id, current.inbox_id),
        ] {
            if let Some(v) = value {
                if positive_id(v, field)? != current {
                    return Err(field_error(
                        field,
                        format!(
                            "{field} cannot change; create a new destination for another inbox"
                        ),
                    ));
                }
            }
        }
        if let Some(v) = &self.api_access_token {
            s.api_access_token = secret(v, "api_access_token")?.into();
        }
        if self.inbox_secret.is_some() {
            s.inbox_secret = self.inbox_secret_value()?;
        }
        if let Some(v) = &self.allow_unsigned_callbacks {
            s.allow_unsigned_callbacks = allow_unsigned(v)?;
        }
        check_signing(&s)?;
        Ok(s)
    }

    fn inbox_secret_value(&self) -> ApiResult<Option<SecretString>> {
        match &self.inbox_secret {
            None | Some(Value::Null) => Ok(None),
            Some(v) => secret(v, "inbox_secret").map(|s| Some(s.into())),
        }
    }
}

fn field_error(field: &'static str, detail: String) -> ApiError {
    let code = match field {
        "base_url" => Code::InvalidBaseUrl,
        "account_id" => Code::InvalidAccountId,
        "inbox_id" => Code::InvalidInboxId,
        "api_access_token" => Code::InvalidApiAccessToken,
        "inbox_secret" => Code::InvalidInboxSecret,
        _ => Code::InvalidAllowUnsignedCallbacks,
    };
    ApiError::new(code, detail).with("field", field)
}

fn required<'a>(value: &'a Option<Value>, field: &'static str) -> ApiResult<&'a Value> {
    match value {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(field_error(
            field,
            format!("{field} is required for a chatwoot destination"),
        )),
    }
}

fn base_url(value: &Value) -> ApiResult<String> {
    let bad = |why: &str| field_error("base_url", format!("base_url {why}"));
    let raw = value.as_str().ok_or_else(|| bad("must be a string"))?;
    let parsed = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad("must be an http:// or https:// URL with a host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("must not have a query or a fragment"));
    }
    if crate::egress::has_userinfo(&parsed) {
        return Err(ApiError::new(
            Code::UrlHasCredentials,
            "base_url must not hold a user name or password; api_access_token authenticates the calls",
        )
        .with("field", "base_url"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

fn positive_id(value: &Value, field: &'static str) -> ApiResult<u64> {
    value
        .as_u64()
        .filter(|n| *n > 0)
        .ok_or_else(|| field_error(field, format!("{field} must be a positive integer")))
}

fn secret(value: &Value, field: &'static str) -> ApiResult<String> {
    let s = value
        .as_str()
        .ok_or_else(|| field_error(field, format!("{field} must be a string")))?
        .trim();
    if s.is_empty() || s.len() > MAX_SECRET_LEN || s.chars().any(|c| c.is_control() || c == ' ') {
        return Err(field_error(
            field,
            format!("{field} must be 1 to {MAX_SECRET_LEN} visible characters"),
        ));
    }
    Ok(s.to_string())
}

fn allow_unsigned(value: &Value) -> ApiResult<bool> {
    value.as_bool().ok_or_else(|| {
        field_error(
            "allow_unsigned_callbacks",
            "allow_unsigned_callbacks must be true or false".into(),
        )
    })
}

/// Callbacks must be verifiable: without a secret, only an explicit opt-in accepts them.
fn check_signing(s: &ChatwootSettings) -> ApiResult<()> {
    if s.inbox_secret.is_none() && !s.allow_unsigned_callbacks {
        return Err(field_error(
            "inbox_secret",
            "inbox_secret is required (the inbox's webhook secret, Chatwoot 4.13+); for older \
             Chatwoot set allow_unsigned_callbacks: true instead"
                .into(),
        ));
    }
    Ok(())
}

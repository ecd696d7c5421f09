//! Smartsupp channel credentials: the app's client secret (webhooks are signed with it), the
//! API token replies are sent with, and optionally the agent replies are attributed to.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::fields;
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const CLIENT_SECRET: &str = "client_secret";
pub const API_TOKEN: &str = "api_token";
pub const AGENT_ID: &str = "agent_id";
const MAX_SECRET_LEN: usize = 512;

pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: CLIENT_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The app's client secret: Smartsupp signs each webhook with it (X-Smartsupp-Hmac).",
        where_to_find: "Smartsupp dashboard > Settings > Apps (API) > your app > Client secret.",
        example: "smartsupp-client-secret-2b7c",
    },
    CredentialField {
        name: API_TOKEN,
        required: true,
        kind: FieldKind::Secret,
        help: "The REST API token replies are posted with (Authorization: Bearer).",
        where_to_find: "Smartsupp dashboard > Settings > Apps (API) > your app > API token.",
        example: "ss_api_token_8d1e4f",
    },
    CredentialField {
        name: AGENT_ID,
        required: false,
        kind: FieldKind::Text,
        help: "The Smartsupp agent replies are sent as; without it, the token's default sender.",
        where_to_find: "GET https://api.smartsupp.com/v2/agents with the API token.",
        example: "4821",
    },
];

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a misspelt secret would otherwise be stored unmasked.
    refuse_unknown("Smartsupp", FIELDS, creds)?;
    bounded_str(creds, CLIENT_SECRET, MAX_SECRET_LEN)?;
    bounded_str(creds, API_TOKEN, MAX_SECRET_LEN)?;
    match creds.get(AGENT_ID) {
        None | Some(Value::Null) => Ok(()),
        v if fields::id(v).is_some() => Ok(()),
        Some(_) => Err(ConfigError::new(
            AGENT_ID,
            "must be a Smartsupp agent id (a string or a number), or left out",
        )),
    }
}

/// A non-empty string credential.
pub fn secret<'a>(creds: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    creds
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_secret_and_token_are_required_and_the_agent_is_optional() {
        let full = map(json!({"client_secret": "s", "api_token": "t", "agent_id": 4821}));
        assert_eq!(validate_credentials(&full), Ok(()));
        for field in [CLIENT_SECRET, API_TOKEN] {
            let mut c = full.clone();
            c.remove(field);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
        let mut c = full.clone();
        c.remove(AGENT_ID);
        assert_eq!(validate_credentials(&c), Ok(()));
        for (field, value) in [(AGENT_ID, json!({"id": 1})), ("app_secret", json!("x"))] {
            let mut c = full.clone();
            c.insert(field.into(), value);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
    }
}

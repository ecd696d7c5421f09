//! Tawk.to channel credentials: only the webhook secret key Tawk.to signs each webhook with.
//! omnigate calls no Tawk.to API (it has none to post into a live chat), so nothing else is
//! needed.

use omnigate_connector_core::credentials::refuse_unknown;
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const WEBHOOK_SECRET: &str = "webhook_secret";

/// The one credential a Tawk.to channel takes.
pub const FIELDS: &[CredentialField] = &[CredentialField {
    name: WEBHOOK_SECRET,
    required: true,
    kind: FieldKind::Secret,
    help: "The secret key Tawk.to signs the webhook with (HMAC-SHA1).",
    where_to_find: "Administration > Settings > Webhooks > the webhook > Secret Key.",
    example: "tawk-webhook-secret-3e9a",
}];
const MAX_SECRET_LEN: usize = 512;

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a pasted REST API key, say, would otherwise be stored unmasked.
    refuse_unknown("Tawk.to", FIELDS, creds)?;
    match creds.get(WEBHOOK_SECRET) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_SECRET_LEN => Ok(()),
        Some(Value::String(s)) if !s.trim().is_empty() => Err(ConfigError::new(
            WEBHOOK_SECRET,
            format!("is longer than {MAX_SECRET_LEN} characters"),
        )),
        Some(Value::String(_)) | Some(Value::Null) | None => Err(ConfigError::new(
            WEBHOOK_SECRET,
            "is required: the secret key shown for the webhook in Tawk.to's dashboard",
        )),
        Some(_) => Err(ConfigError::new(WEBHOOK_SECRET, "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_webhook_secret_is_required_and_nothing_else_is_accepted() {
        assert_eq!(
            validate_credentials(&creds(json!({"webhook_secret": "s"}))),
            Ok(())
        );
        for bad in [
            json!({}),
            json!({"webhook_secret": ""}),
            json!({"webhook_secret": 5}),
        ] {
            assert_eq!(
                validate_credentials(&creds(bad)).unwrap_err().field,
                WEBHOOK_SECRET
            );
        }
        let err = validate_credentials(&creds(json!({"webhook_secret": "s", "api_key": "k"})))
            .unwrap_err();
        assert_eq!(err.field, "api_key");
    }
}

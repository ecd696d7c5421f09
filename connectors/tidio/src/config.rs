//! Tidio channel credentials and settings: the webhook secret Tidio signs with, the source
//! allow list, and the window a signed timestamp must fall in.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::{allowlist, ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const WEBHOOK_SECRET: &str = "webhook_secret";

/// The one credential a Tidio channel takes.
pub const FIELDS: &[CredentialField] = &[CredentialField {
    name: WEBHOOK_SECRET,
    required: true,
    kind: FieldKind::Secret,
    help: "The secret Tidio signs webhooks with (HMAC-SHA256 of body_t).",
    where_to_find: "Tidio panel > Settings > Developer > Webhooks > the webhook's signing secret.",
    example: "tidio-webhook-secret-6f1a",
}];
/// How far (in seconds) a signed `t` may be from the receive time.
pub const TOLERANCE_SETTING: &str = "signature_tolerance_seconds";
/// Tidio documents no window; five minutes is what other providers that sign a timestamp use.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;
const MAX_TOLERANCE_SECONDS: u64 = 86_400;
const MAX_SECRET_LEN: usize = 512;

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a pasted OpenAPI client secret would otherwise be stored unmasked.
    refuse_unknown("Tidio", FIELDS, creds)?;
    bounded_str(creds, WEBHOOK_SECRET, MAX_SECRET_LEN).map(|_| ())
}

pub fn validate_settings(settings: &Map<String, Value>) -> Result<(), ConfigError> {
    allowlist::validate(settings)?;
    match settings.get(TOLERANCE_SETTING) {
        None => Ok(()),
        Some(v)
            if v.as_u64()
                .is_some_and(|n| (1..=MAX_TOLERANCE_SECONDS).contains(&n)) =>
        {
            Ok(())
        }
        Some(_) => Err(ConfigError::new(
            TOLERANCE_SETTING,
            format!("must be a whole number of seconds from 1 to {MAX_TOLERANCE_SECONDS}"),
        )),
    }
}

/// The channel's timestamp window in seconds.
pub fn tolerance(settings: &Map<String, Value>) -> u64 {
    settings
        .get(TOLERANCE_SETTING)
        .and_then(Value::as_u64)
        .filter(|n| (1..=MAX_TOLERANCE_SECONDS).contains(n))
        .unwrap_or(DEFAULT_TOLERANCE_SECONDS)
}

pub fn secret(creds: &Map<String, Value>) -> Option<&str> {
    creds
        .get(WEBHOOK_SECRET)
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
    fn the_webhook_secret_is_required_and_nothing_else_is_accepted() {
        assert_eq!(
            validate_credentials(&map(json!({"webhook_secret": "s"}))),
            Ok(())
        );
        for bad in [
            json!({}),
            json!({"webhook_secret": ""}),
            json!({"webhook_secret": 1}),
        ] {
            assert_eq!(
                validate_credentials(&map(bad)).unwrap_err().field,
                WEBHOOK_SECRET
            );
        }
        let extra = map(json!({"webhook_secret": "s", "client_secret": "x"}));
        assert_eq!(
            validate_credentials(&extra).unwrap_err().field,
            "client_secret"
        );
    }

    #[test]
    fn the_window_defaults_to_five_minutes_and_can_be_set() {
        assert_eq!(tolerance(&Map::new()), 300);
        let s = map(json!({"signature_tolerance_seconds": 60}));
        assert_eq!((validate_settings(&s), tolerance(&s)), (Ok(()), 60));
        for bad in [json!(0), json!("60"), json!(86_401)] {
            let s = map(json!({ "signature_tolerance_seconds": bad }));
            assert_eq!(validate_settings(&s).unwrap_err().field, TOLERANCE_SETTING);
        }
    }
}

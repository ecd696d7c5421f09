//! LiveChat channel credentials: the secret key registered with the webhooks (LiveChat echoes it
//! in every body) and the access token replies are sent with.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

/// The `secret_key` given to `register_webhook` (or the Developer Console).
pub const WEBHOOK_SECRET: &str = "webhook_secret";
/// The token for the Agent Chat API, sent as `Authorization: Bearer <token>` (e.g. a bot token
/// from `issue_bot_token`, or an agent's OAuth access token).
pub const ACCESS_TOKEN: &str = "access_token";

const SECRET_MAX: usize = 512;
const TOKEN_MAX: usize = 4096;

/// The credentials a LiveChat channel takes.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: WEBHOOK_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The secret_key registered with the webhooks; LiveChat copies it into every body.",
        where_to_find: "Chosen by you when registering the webhooks (register_webhook, or the Developer Console).",
        example: "livechat-webhook-secret-4d2e",
    },
    CredentialField {
        name: ACCESS_TOKEN,
        required: true,
        kind: FieldKind::Secret,
        help: "The Agent Chat API token, without a Bearer prefix.",
        where_to_find: "A bot token from issue_bot_token, or an agent's OAuth token (Developer Console).",
        example: "dal:Zx9-token",
    },
];

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a misspelled secret would otherwise be stored unmasked.
    refuse_unknown("LiveChat", FIELDS, creds)?;
    bounded_str(creds, WEBHOOK_SECRET, SECRET_MAX)?;
    let token = bounded_str(creds, ACCESS_TOKEN, TOKEN_MAX)?;
    // The token goes into a header after "Bearer ": whitespace or control characters mean a
    // pasted prefix or a broken copy, and would only fail later at send time.
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::new(
            ACCESS_TOKEN,
            "must be the token alone, without spaces or a \"Bearer\" prefix",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn both_fields_are_required_and_a_missing_one_is_named() {
        let ok = json!({"webhook_secret": "lc-whs", "access_token": "dal:Zm9vYmFy"});
        assert_eq!(validate_credentials(&creds(ok)), Ok(()));
        let err = validate_credentials(&creds(json!({"access_token": "t"}))).unwrap_err();
        assert_eq!(err.field, "webhook_secret");
        let err = validate_credentials(&creds(json!({"webhook_secret": "s"}))).unwrap_err();
        assert_eq!(err.field, "access_token");
        let err = validate_credentials(&creds(json!({"webhook_secret": "", "access_token": "t"})))
            .unwrap_err();
        assert_eq!(err.field, "webhook_secret");
    }

    #[test]
    fn unknown_fields_prefixed_tokens_and_non_strings_are_refused() {
        let err = validate_credentials(&creds(
            json!({"webhook_secret": "s", "access_token": "t", "secret_key": "s"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "secret_key");
        let err = validate_credentials(&creds(
            json!({"webhook_secret": "s", "access_token": "Bearer dal:abc"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "access_token");
        let err = validate_credentials(&creds(json!({"webhook_secret": 1, "access_token": "t"})))
            .unwrap_err();
        assert_eq!(err.message, "must be a string");
    }
}

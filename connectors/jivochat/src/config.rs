//! JivoChat channel credentials: the `provider_id` Jivo issued for the bot provider and the bot
//! token given to Jivo with it; both go into the URL replies are posted to.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const PROVIDER_ID: &str = "provider_id";
pub const BOT_TOKEN: &str = "bot_token";

pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: PROVIDER_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The bot provider id Jivo issued; replies go to /webhooks/{provider_id}/{bot_token}.",
        where_to_find: "Jivo's e-mail answering the bot provider registration (bot API).",
        example: "omnigate-7f3a2c",
    },
    CredentialField {
        name: BOT_TOKEN,
        required: true,
        kind: FieldKind::Secret,
        help: "The bot token given to Jivo with the registration; it authenticates replies.",
        where_to_find: "The token you chose and sent to Jivo when registering the bot provider.",
        example: "jivo-bot-token-5c9e",
    },
];

const MAX_LEN: usize = 256;

/// The characters of a URL path segment that need no escaping: both values end up in one.
fn path_safe(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    refuse_unknown("JivoChat", FIELDS, creds)?;
    for field in [PROVIDER_ID, BOT_TOKEN] {
        if !path_safe(bounded_str(creds, field, MAX_LEN)?) {
            return Err(ConfigError::new(
                field,
                "must be letters, digits, '-', '_', '.' or '~' (it is part of the reply URL)",
            ));
        }
    }
    Ok(())
}

/// A credential usable in the reply URL.
pub fn path_value<'a>(creds: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    creds
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= MAX_LEN && path_safe(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn both_fields_are_required_path_safe_and_nothing_else_is_accepted() {
        let ok = map(json!({"provider_id": "p-1", "bot_token": "t_2"}));
        assert_eq!(validate_credentials(&ok), Ok(()));
        for field in [PROVIDER_ID, BOT_TOKEN] {
            let mut c = ok.clone();
            c.remove(field);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
            let mut c = ok.clone();
            c.insert(field.into(), json!("a/b"));
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
        let mut c = ok.clone();
        c.insert("site_id".into(), json!("1"));
        assert_eq!(validate_credentials(&c).unwrap_err().field, "site_id");
    }
}

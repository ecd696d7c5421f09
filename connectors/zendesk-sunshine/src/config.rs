//! Sunshine channel credentials: the app and API key that replies are sent with, and the
//! webhook's shared secret that inbound requests are checked against.

use omnigate_connector_core::ConfigError;
use serde_json::{Map, Value};

/// The Sunshine app id (`app.id` in webhooks, `{appId}` in API paths).
pub const APP_ID: &str = "app_id";
/// The API key id (`app_...` or `int_...`), the Basic-auth user name.
pub const KEY_ID: &str = "key_id";
/// The API key secret, the Basic-auth password.
pub const KEY_SECRET: &str = "key_secret";
/// The webhook's shared secret, sent back by Sunshine as `X-API-Key`.
pub const WEBHOOK_SECRET: &str = "webhook_secret";

const FIELDS: [&str; 4] = [APP_ID, KEY_ID, KEY_SECRET, WEBHOOK_SECRET];
const SECRET_MAX: usize = 512;

fn required_str<'a>(creds: &'a Map<String, Value>, field: &str) -> Result<&'a str, ConfigError> {
    match creds.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(ConfigError::new(field, "is required"))
        }
        Some(_) => Err(ConfigError::new(field, "must be a string")),
    }
}

/// Ids go into URL paths and the Basic-auth user name, so only the characters Sunshine ids are
/// made of are accepted: nothing that could change the path or split `key_id:key_secret`.
fn is_id(s: &str) -> bool {
    s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a misspelled secret would otherwise be stored unmasked.
    if let Some((field, _)) = creds.iter().find(|(k, _)| !FIELDS.contains(&k.as_str())) {
        return Err(ConfigError::new(
            field.as_str(),
            "is not a Sunshine Conversations credential (app_id, key_id, key_secret, webhook_secret)",
        ));
    }
    let app_id = required_str(creds, APP_ID)?;
    if !is_id(app_id) {
        return Err(ConfigError::new(
            APP_ID,
            "must be the Sunshine app id (letters, digits, '_' or '-', e.g. 5ebee0975ac5304b664a12fa)",
        ));
    }
    let key_id = required_str(creds, KEY_ID)?;
    if !is_id(key_id) {
        return Err(ConfigError::new(
            KEY_ID,
            "must be the API key id (letters, digits, '_' or '-', e.g. app_5f4eaef81e3dcc117c7ba48b)",
        ));
    }
    for field in [KEY_SECRET, WEBHOOK_SECRET] {
        let secret = required_str(creds, field)?;
        if secret.len() > SECRET_MAX {
            return Err(ConfigError::new(
                field,
                format!("is longer than {SECRET_MAX} characters"),
            ));
        }
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

    fn full() -> Value {
        json!({"app_id": "5ebee0975ac5304b664a12fa", "key_id": "app_5f4eaef81e3dcc117c7ba48b",
               "key_secret": "s3cr3t", "webhook_secret": "whs"})
    }

    #[test]
    fn all_four_fields_are_required_and_each_missing_one_is_named() {
        assert_eq!(validate_credentials(&creds(full())), Ok(()));
        for field in FIELDS {
            let mut c = creds(full());
            c.remove(field);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
            c.insert(field.into(), json!("  "));
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
    }

    #[test]
    fn unknown_fields_ids_with_path_characters_and_non_strings_are_refused() {
        let mut c = creds(full());
        c.insert("webhookSecret".into(), json!("x"));
        assert_eq!(validate_credentials(&c).unwrap_err().field, "webhookSecret");
        let mut c = creds(full());
        c.insert("app_id".into(), json!("abc/../x"));
        assert_eq!(validate_credentials(&c).unwrap_err().field, "app_id");
        let mut c = creds(full());
        c.insert("key_id".into(), json!("app:1"));
        assert_eq!(validate_credentials(&c).unwrap_err().field, "key_id");
        let mut c = creds(full());
        c.insert("key_secret".into(), json!(42));
        assert_eq!(
            validate_credentials(&c).unwrap_err().message,
            "must be a string"
        );
    }
}

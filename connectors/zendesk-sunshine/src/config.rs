//! Sunshine channel credentials: the app and API key that replies are sent with, and the
//! webhook's shared secret that inbound requests are checked against.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown, required_str};
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

/// The Sunshine app id (`app.id` in webhooks, `{appId}` in API paths).
pub const APP_ID: &str = "app_id";
/// The API key id (`app_...` or `int_...`), the Basic-auth user name.
pub const KEY_ID: &str = "key_id";
/// The API key secret, the Basic-auth password.
pub const KEY_SECRET: &str = "key_secret";
/// The webhook's shared secret, sent back by Sunshine as `X-API-Key`.
pub const WEBHOOK_SECRET: &str = "webhook_secret";

const SECRET_MAX: usize = 512;

/// The credentials a Sunshine Conversations channel takes.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: APP_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The Sunshine app id ({appId} in API paths): letters, digits, '_' or '-'.",
        where_to_find: "Admin Center > Apps and integrations > Conversations API (App ID).",
        example: "6a1f0c2b9d4e8a7b3c5d1e2f",
    },
    CredentialField {
        name: KEY_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The API key id (app_... or int_...), the Basic-auth user name.",
        where_to_find: "Admin Center > Apps and integrations > Conversations API > Create API key.",
        example: "app_5f4eaef81e3dcc117c7ba48b",
    },
    CredentialField {
        name: KEY_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The API key secret, the Basic-auth password.",
        where_to_find: "Shown once when the API key is created.",
        example: "sunshine-key-secret-Zx9",
    },
    CredentialField {
        name: WEBHOOK_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The webhook's shared secret, sent back by Sunshine as X-API-Key.",
        where_to_find: "The secret in the answer to the webhook's creation (or the integration's webhook settings).",
        example: "sunshine-webhook-secret-9c1f",
    },
];

/// Ids go into URL paths and the Basic-auth user name, so only the characters Sunshine ids are
/// made of are accepted: nothing that could change the path or split `key_id:key_secret`.
fn is_id(s: &str) -> bool {
    s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a misspelled secret would otherwise be stored unmasked.
    refuse_unknown("Sunshine Conversations", FIELDS, creds)?;
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
        bounded_str(creds, field, SECRET_MAX)?;
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
        for field in FIELDS.iter().map(|f| f.name) {
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

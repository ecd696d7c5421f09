//! Crisp channel credentials and settings: the website the channel stands for, the plugin
//! token replies are sent with, and (for plugin hooks only) the secret hooks are signed with.

use omnigate_connector_core::credentials::{refuse_unknown, required_str};
use omnigate_connector_core::{allowlist, ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const WEBSITE_ID: &str = "website_id";
pub const IDENTIFIER: &str = "identifier";
pub const KEY: &str = "key";
pub const SIGNING_SECRET: &str = "signing_secret";

/// The credentials a Crisp channel takes; without `signing_secret` it receives unsigned
/// website hooks.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: WEBSITE_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The Crisp website id (a UUID): in reply URLs, and to recognize other websites' events.",
        where_to_find: "Settings > Website Settings > Setup & Integrations > Website ID.",
        example: "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
    },
    CredentialField {
        name: IDENTIFIER,
        required: true,
        kind: FieldKind::Text,
        help: "The plugin token identifier, the user part of Basic authentication.",
        where_to_find: "Crisp Marketplace > the plugin > Tokens (production token).",
        example: "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b",
    },
    CredentialField {
        name: KEY,
        required: true,
        kind: FieldKind::Secret,
        help: "The plugin token key, the password of Basic authentication.",
        where_to_find: "Crisp Marketplace > the plugin > Tokens, next to the identifier.",
        example: "crisp-plugin-key-0a1b2c3d",
    },
    CredentialField {
        name: SIGNING_SECRET,
        required: false,
        kind: FieldKind::Secret,
        help: "The plugin's hook signing secret; when set, every hook must be signed. Leave it out for website hooks.",
        where_to_find: "Crisp Marketplace > the plugin > Settings > Hooks (signing secret).",
        example: "crisp-plugin-signing-secret-71c2",
    },
];

/// Opt-in window for `X-Crisp-Request-Timestamp`: Crisp documents neither the unit nor whether
/// a retry keeps the first attempt's timestamp, so by default no window is applied (a wrong
/// guess would turn genuine hooks or their retries away). See the README.
pub const TOLERANCE_SETTING: &str = "signature_tolerance_seconds";
const MAX_TOLERANCE_SECONDS: u64 = 86_400;
const MAX_SECRET_LEN: usize = 512;

/// The 8-4-4-4-12 hex shape of Crisp's website ids (it also ends up in the reply URL's path).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields first: a misspelt secret would otherwise be stored unmasked.
    refuse_unknown("Crisp", FIELDS, creds)?;
    if !is_uuid(required_str(creds, WEBSITE_ID)?) {
        return Err(ConfigError::new(
            WEBSITE_ID,
            "must be the Crisp website id, e.g. 42286ab3-b29a-4fde-8538-da0ae501d825",
        ));
    }
    let identifier = required_str(creds, IDENTIFIER)?;
    // It is the user part of HTTP Basic authentication, where ':' would split it.
    if identifier.contains(':') || identifier.chars().any(char::is_whitespace) {
        return Err(ConfigError::new(
            IDENTIFIER,
            "must be the plugin token identifier as issued (no ':' or spaces)",
        ));
    }
    if required_str(creds, KEY)?.len() > MAX_SECRET_LEN {
        return Err(ConfigError::new(KEY, "is longer than 512 characters"));
    }
    match creds.get(SIGNING_SECRET) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_SECRET_LEN => Ok(()),
        Some(_) => Err(ConfigError::new(
            SIGNING_SECRET,
            "must be the plugin's signing secret, or left out for unsigned website hooks",
        )),
    }
}

/// The signing secret, when the channel receives signed plugin hooks.
pub fn signing_secret(creds: &Map<String, Value>) -> Option<&str> {
    creds
        .get(SIGNING_SECRET)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub fn validate_settings(settings: &Map<String, Value>) -> Result<(), ConfigError> {
    allowlist::validate(settings)?;
    match settings.get(TOLERANCE_SETTING) {
        None => Ok(()),
        Some(v) if tolerance(settings).is_some() || v.is_null() => Ok(()),
        Some(_) => Err(ConfigError::new(
            TOLERANCE_SETTING,
            format!("must be a whole number of seconds from 1 to {MAX_TOLERANCE_SECONDS}"),
        )),
    }
}

/// The channel's timestamp window in seconds, when it set one.
pub fn tolerance(settings: &Map<String, Value>) -> Option<u64> {
    settings
        .get(TOLERANCE_SETTING)
        .and_then(Value::as_u64)
        .filter(|n| (1..=MAX_TOLERANCE_SECONDS).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn full() -> Map<String, Value> {
        map(json!({"website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
                   "identifier": "43f34724-9eeb-4474-9cec-560250754dec", "key": "k",
                   "signing_secret": "s"}))
    }

    #[test]
    fn website_identifier_and_key_are_required_and_the_signing_secret_is_optional() {
        assert_eq!(validate_credentials(&full()), Ok(()));
        let mut unsigned = full();
        unsigned.remove(SIGNING_SECRET);
        assert_eq!(validate_credentials(&unsigned), Ok(()));
        assert_eq!(signing_secret(&unsigned), None);
        for field in [WEBSITE_ID, IDENTIFIER, KEY] {
            let mut creds = full();
            creds.remove(field);
            assert_eq!(validate_credentials(&creds).unwrap_err().field, field);
        }
    }

    #[test]
    fn malformed_values_and_unknown_fields_are_refused_by_name() {
        let cases = [
            (WEBSITE_ID, json!("my-site")),
            (IDENTIFIER, json!("a:b")),
            (KEY, json!(5)),
            (SIGNING_SECRET, json!("")),
            ("plugin_id", json!("x")),
        ];
        for (field, value) in cases {
            let mut creds = full();
            creds.insert(field.into(), value);
            assert_eq!(validate_credentials(&creds).unwrap_err().field, field);
        }
    }

    #[test]
    fn no_window_applies_unless_the_channel_sets_one() {
        assert_eq!(tolerance(&Map::new()), None);
        let s = map(json!({"signature_tolerance_seconds": 600}));
        assert_eq!((validate_settings(&s), tolerance(&s)), (Ok(()), Some(600)));
        let bad = map(json!({"signature_tolerance_seconds": 0}));
        assert_eq!(
            validate_settings(&bad).unwrap_err().field,
            TOLERANCE_SETTING
        );
    }
}

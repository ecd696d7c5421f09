//! Chatwoot channel credentials and settings: which Chatwoot (Cloud or self-hosted), which
//! account, the access token replies are sent with, and the secret webhooks are signed with.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown, required_str};
use omnigate_connector_core::{allowlist, ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const BASE_URL: &str = "base_url";
pub const ACCOUNT_ID: &str = "account_id";
pub const API_ACCESS_TOKEN: &str = "api_access_token";
pub const WEBHOOK_SECRET: &str = "webhook_secret";

/// The credentials a Chatwoot channel takes.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: BASE_URL,
        required: true,
        kind: FieldKind::OutboundUrl,
        help: "The address of the Chatwoot installation, Cloud or self-hosted (a path prefix is allowed).",
        where_to_find: "The dashboard's address up to /app, e.g. https://app.chatwoot.com.",
        example: "https://chat.northwind.example",
    },
    CredentialField {
        name: ACCOUNT_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The numeric account id, as a number or a digit string.",
        where_to_find: "The number after /accounts/ in the dashboard URL.",
        example: "7",
    },
    CredentialField {
        name: API_ACCESS_TOKEN,
        required: true,
        kind: FieldKind::Secret,
        help: "The access token of the agent or agent bot that replies are sent as.",
        where_to_find: "Profile settings > Access Token, or Settings > Bots for an agent bot.",
        example: "cw-agent-token",
    },
    CredentialField {
        name: WEBHOOK_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The secret Chatwoot signs webhooks with.",
        where_to_find: "Settings > Integrations > Webhooks, shown for the webhook once it is saved.",
        example: "cw-webhook-secret-5b1d",
    },
];

/// How far a signed `X-Chatwoot-Timestamp` may be from the receive time, either way.
pub const TOLERANCE_SETTING: &str = "signature_tolerance_seconds";
/// Chatwoot defines no window; five minutes is the common choice, and Chatwoot refreshes the
/// timestamp on every retry, so a late retry is still fresh.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;
const MAX_TOLERANCE_SECONDS: u64 = 86_400;

/// Tokens and secrets far longer than Chatwoot's (24 to 64 characters) are a paste error.
const MAX_SECRET_LEN: usize = 512;

/// An http(s) address with a host, without query, fragment or whitespace; a path prefix is
/// allowed for installations served under one.
pub fn is_base_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty()
            && !host.contains('@')
            && !s.contains(['?', '#'])
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The account id as the digits of Chatwoot's integer id, from a JSON number or a string.
pub fn account_id(creds: &Map<String, Value>) -> Option<String> {
    match creds.get(ACCOUNT_ID)? {
        Value::Number(n) => n.as_u64().filter(|n| *n > 0).map(|n| n.to_string()),
        Value::String(s) => {
            let s = s.trim();
            let digits = !s.is_empty() && s.len() <= 18 && s.chars().all(|c| c.is_ascii_digit());
            digits.then(|| s.to_string())
        }
        _ => None,
    }
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    refuse_unknown("Chatwoot", FIELDS, creds)?;
    let base = required_str(creds, BASE_URL)?;
    if !is_base_url(base) {
        return Err(ConfigError::new(
            BASE_URL,
            "must be the http(s) address of the Chatwoot installation, e.g. https://app.chatwoot.com",
        ));
    }
    match creds.get(ACCOUNT_ID) {
        None | Some(Value::Null) => return Err(ConfigError::new(ACCOUNT_ID, "is required")),
        Some(_) if account_id(creds).is_none() => {
            return Err(ConfigError::new(
                ACCOUNT_ID,
                "must be the numeric Chatwoot account id (the number after /accounts/ in the dashboard URL)",
            ))
        }
        Some(_) => {}
    }
    for field in [API_ACCESS_TOKEN, WEBHOOK_SECRET] {
        bounded_str(creds, field, MAX_SECRET_LEN)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn full() -> Value {
        json!({"base_url": "https://chat.example.com", "account_id": 3,
               "api_access_token": "tok", "webhook_secret": "whsec"})
    }

    #[test]
    fn all_four_credentials_are_required_and_a_missing_one_is_named() {
        assert_eq!(validate_credentials(&map(full())), Ok(()));
        for field in FIELDS.iter().map(|f| f.name) {
            let mut creds = map(full());
            creds.remove(field);
            assert_eq!(validate_credentials(&creds).unwrap_err().field, field);
        }
    }

    #[test]
    fn the_account_id_may_be_a_number_or_digits_but_nothing_else() {
        let mut creds = map(full());
        creds.insert(ACCOUNT_ID.into(), json!("17"));
        assert_eq!(account_id(&creds).as_deref(), Some("17"));
        for bad in [json!("17/../2"), json!(0), json!(-1), json!(1.5), json!("")] {
            creds.insert(ACCOUNT_ID.into(), bad.clone());
            let err = validate_credentials(&creds).unwrap_err();
            assert_eq!(err.field, ACCOUNT_ID, "{bad}");
        }
    }

    #[test]
    fn base_urls_must_be_http_addresses_and_unknown_fields_are_refused() {
        for bad in [
            "chat.example.com",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x?y=1",
        ] {
            let mut creds = map(full());
            creds.insert(BASE_URL.into(), json!(bad));
            assert_eq!(validate_credentials(&creds).unwrap_err().field, BASE_URL);
        }
        assert!(is_base_url("http://localhost:3000/chatwoot/"));
        let mut creds = map(full());
        creds.insert("hmac_token".into(), json!("x"));
        assert_eq!(
            validate_credentials(&creds).unwrap_err().field,
            "hmac_token"
        );
    }

    #[test]
    fn the_tolerance_setting_is_a_bounded_number_of_seconds() {
        assert_eq!(tolerance(&Map::new()), 300);
        let s = map(json!({"signature_tolerance_seconds": 60}));
        assert_eq!((validate_settings(&s), tolerance(&s)), (Ok(()), 60));
        for bad in [json!(0), json!("60"), json!(86_401), json!(-5)] {
            let s = map(json!({ "signature_tolerance_seconds": bad }));
            assert_eq!(validate_settings(&s).unwrap_err().field, TOLERANCE_SETTING);
        }
        let s = map(json!({"allowed_source_ips": ["nope"]}));
        assert!(validate_settings(&s).is_err());
    }
}

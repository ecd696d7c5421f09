//! Naver channel credentials and what an approval request hands the operator.

use omnigate_connector_core::credentials::{refuse_unknown, required_str};
use omnigate_connector_core::{ApprovalExtras, ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

/// The credentials a Naver channel takes.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "account_id",
        required: true,
        kind: FieldKind::Text,
        help: "The TalkTalk account id: letters, digits, '_' or '-'.",
        where_to_find: "The end of the account's chat URL, https://talk.naver.com/{account_id}.",
        example: "wc8b1i",
    },
    CredentialField {
        name: "send_api_key",
        required: true,
        kind: FieldKind::Secret,
        help: "The send API (보내기 API) key, sent as issued in the Authorization header.",
        where_to_find: "Partner Center > 개발자도구 > 챗봇API 설정.",
        example: "ct_wc8b1i_Pb1AXDQ0RZWuCccpzdNL",
    },
];

/// The address ranges Naver publishes for its webhook calls (changed 2021-06-23), for operators
/// who want `allowed_source_ips`.
pub const NAVER_SOURCE_RANGES: [&str; 3] =
    ["211.249.40.0/27", "211.249.68.0/27", "220.230.168.0/27"];

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    let account_id = required_str(creds, "account_id")?;
    let well_formed = account_id.len() <= 64
        && account_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        return Err(ConfigError::new(
            "account_id",
            "must be the TalkTalk account id (letters, digits, '_' or '-', e.g. wc8b1i)",
        ));
    }
    let key = required_str(creds, "send_api_key")?;
    if key.len() > 512 {
        return Err(ConfigError::new(
            "send_api_key",
            "is longer than 512 characters",
        ));
    }
    refuse_unknown("Naver TalkTalk", FIELDS, creds)
}

pub fn approval_extras(creds: &Map<String, Value>, channel_key: &str) -> ApprovalExtras {
    let mut extras = Map::new();
    extras.insert("brand_key".into(), Value::String(channel_key.to_string()));
    if let Some(account) = creds.get("account_id").and_then(Value::as_str) {
        extras.insert(
            "chat_url".into(),
            Value::String(format!("https://talk.naver.com/{account}")),
        );
    }
    extras
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn both_fields_are_required() {
        assert!(
            validate_credentials(&creds(json!({"account_id": "wc8b1i", "send_api_key": "k"})))
                .is_ok()
        );
        let err = validate_credentials(&creds(json!({"account_id": "wc8b1i"}))).unwrap_err();
        assert_eq!(err.field, "send_api_key");
        let err = validate_credentials(&creds(json!({"send_api_key": "k"}))).unwrap_err();
        assert_eq!(err.field, "account_id");
    }

    #[test]
    fn account_ids_with_url_characters_and_unknown_fields_are_refused() {
        let err = validate_credentials(&creds(
            json!({"account_id": "wc/../x", "send_api_key": "k"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "account_id");
        let err = validate_credentials(&creds(
            json!({"account_id": "wc8b1i", "send_api_key": "k", "sendApiKey": "k"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "sendApiKey");
    }

    #[test]
    fn approval_gives_the_chat_url_and_brand_key() {
        let extras = approval_extras(&creds(json!({"account_id": "wc8b1i"})), "nvb_abc");
        assert_eq!(extras["chat_url"], "https://talk.naver.com/wc8b1i");
        assert_eq!(extras["brand_key"], "nvb_abc");
    }
}

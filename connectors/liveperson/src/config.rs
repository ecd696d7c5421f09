//! LivePerson channel credentials: the account (site) id and the app's client id, which every
//! notification names in its headers, and the client secret it is signed with.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const ACCOUNT_ID: &str = "account_id";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";
const MAX_LEN: usize = 512;

pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: ACCOUNT_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The LivePerson account (site) id; notifications name it in X-Liveperson-Account-Id.",
        where_to_find: "Conversational Cloud: the account number shown at login and in the URL.",
        example: "64467156",
    },
    CredentialField {
        name: CLIENT_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The installed app's client id; notifications name it in X-Liveperson-Client-Id.",
        where_to_find: "The app installation (App Management / Connector API app) details.",
        example: "2f1c7a9e-4b3d-4e8a-9c6f-1d2e3f4a5b6c",
    },
    CredentialField {
        name: CLIENT_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The app's client secret; LivePerson signs each notification with it.",
        where_to_find: "The app installation details, shown once when the app is installed.",
        example: "lp-client-secret-0e4b",
    },
];

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    refuse_unknown("LivePerson", FIELDS, creds)?;
    for field in [ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET] {
        bounded_str(creds, field, MAX_LEN)?;
    }
    Ok(())
}

pub fn value<'a>(creds: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    creds
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_three_fields_are_required_and_nothing_else_is_accepted() {
        let ok = json!({"account_id": "1", "client_id": "c", "client_secret": "s"});
        let ok = ok.as_object().cloned().unwrap_or_default();
        assert_eq!(validate_credentials(&ok), Ok(()));
        for field in [ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET] {
            let mut c = ok.clone();
            c.remove(field);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
        let mut c = ok.clone();
        c.insert("app_jwt".into(), json!("x"));
        assert_eq!(validate_credentials(&c).unwrap_err().field, "app_jwt");
    }
}

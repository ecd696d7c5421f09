//! Chatlio channel credentials. Chatlio signs nothing and omnigate calls no Chatlio API, so a
//! channel needs no secret: the unguessable webhook key in each URL is what authenticates it.
//! The one optional field names the widget the channel stands for.

use omnigate_connector_core::credentials::refuse_unknown;
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

/// The only credential field: the `widgetid` of the site's `<chatlio-widget>` embed element.
/// Optional; it lets an operator with several widgets tell their channels apart, and it is the
/// id Chatlio's Server API scopes requests by, should omnigate ever call it.
pub const WIDGET_ID: &str = "widget_id";

/// The credentials a Chatlio channel takes: none required, and no secret.
pub const FIELDS: &[CredentialField] = &[CredentialField {
    name: WIDGET_ID,
    required: false,
    kind: FieldKind::Text,
    help: "The widget the channel stands for (8-4-4-4-12 hex); tells several widgets apart.",
    where_to_find: "The widgetid attribute of the site's <chatlio-widget> embed code.",
    example: "6e25c5f7-2227-4b9e-7299-6610bc951a7a",
}];

/// The embed code shows widget ids in the 8-4-4-4-12 hex shape of a UUID (not always a
/// version-4 one, so only the shape is checked).
fn is_widget_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    // Unknown fields are refused first: a pasted Chatlio API key, say, would otherwise be stored
    // as a plain, unmasked credential.
    refuse_unknown("Chatlio", FIELDS, creds)?;
    match creds.get(WIDGET_ID) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if is_widget_id(s) => Ok(()),
        Some(Value::String(_)) => Err(ConfigError::new(
            WIDGET_ID,
            "must be the widgetid of the <chatlio-widget> embed code, \
             e.g. 6e25c5f7-2227-4b9e-7299-6610bc951a7a",
        )),
        Some(_) => Err(ConfigError::new(WIDGET_ID, "must be a string")),
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
    fn a_channel_needs_no_credentials_at_all() {
        assert_eq!(validate_credentials(&Map::new()), Ok(()));
    }

    #[test]
    fn a_widget_id_in_the_embed_code_shape_is_accepted() {
        let ok = creds(json!({"widget_id": "6e25c5f7-2227-4b9e-7299-6610bc951a7a"}));
        assert_eq!(validate_credentials(&ok), Ok(()));
        for bad in [json!("my-widget"), json!(""), json!("6e25c5f7/2227")] {
            let err = validate_credentials(&creds(json!({ "widget_id": bad }))).unwrap_err();
            assert_eq!(err.field, "widget_id");
        }
        let err = validate_credentials(&creds(json!({"widget_id": 7}))).unwrap_err();
        assert_eq!(err.message, "must be a string");
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = validate_credentials(&creds(json!({"api_key": "k"}))).unwrap_err();
        assert_eq!(err.field, "api_key");
        let err = validate_credentials(&creds(
            json!({"widget_id": "6e25c5f7-2227-4b9e-7299-6610bc951a7a", "widgetId": "x"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "widgetId");
    }
}

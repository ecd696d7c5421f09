//! HubSpot channel credentials: the app (its id, and the client secret webhooks are signed
//! with), the token replies are sent with, and the sender, channel and channel account a reply
//! is posted as.

use omnigate_connector_core::credentials::{bounded_str, refuse_unknown};
use omnigate_connector_core::{ConfigError, CredentialField, FieldKind};
use serde_json::{Map, Value};

pub const APP_ID: &str = "app_id";
pub const CLIENT_SECRET: &str = "client_secret";
pub const ACCESS_TOKEN: &str = "access_token";
pub const SENDER_ACTOR_ID: &str = "sender_actor_id";
pub const CHANNEL_ID: &str = "channel_id";
pub const CHANNEL_ACCOUNT_ID: &str = "channel_account_id";
const MAX_LEN: usize = 2048;

pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: APP_ID,
        required: true,
        kind: FieldKind::Text,
        help: "The HubSpot app's id; events of other apps are not this channel's.",
        where_to_find: "HubSpot developer account > Apps > your app > App ID.",
        example: "1098266",
    },
    CredentialField {
        name: CLIENT_SECRET,
        required: true,
        kind: FieldKind::Secret,
        help: "The app's client secret; HubSpot signs webhooks with it (X-HubSpot-Signature-v3).",
        where_to_find: "HubSpot developer account > Apps > your app > Auth > Client secret.",
        example: "abbababa-beef-aaaa-bbbb-abbaabbaabba",
    },
    CredentialField {
        name: ACCESS_TOKEN,
        required: true,
        kind: FieldKind::Secret,
        help: "A private-app or OAuth access token with conversations.read and conversations.write.",
        where_to_find: "Settings > Integrations > Private apps > your app > Access token (or OAuth).",
        example: "pat-na1-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    },
    CredentialField {
        name: SENDER_ACTOR_ID,
        required: false,
        kind: FieldKind::Text,
        help: "The HubSpot user replies are sent as, as an actor id (A-<user id>); needed for replies.",
        where_to_find: "Settings > Users & Teams > the user's id, prefixed with A-.",
        example: "A-5190441",
    },
    CredentialField {
        name: CHANNEL_ID,
        required: false,
        kind: FieldKind::Text,
        help: "The conversations channel replies go out on (live chat); needed for replies.",
        where_to_find: "GET /conversations/v3/conversations/channels with the access token.",
        example: "1000",
    },
    CredentialField {
        name: CHANNEL_ACCOUNT_ID,
        required: false,
        kind: FieldKind::Text,
        help: "The channel account (the chat widget's inbox connection); needed for replies.",
        where_to_find: "GET /conversations/v3/conversations/channel-accounts with the access token.",
        example: "62415",
    },
];

pub fn validate_credentials(creds: &Map<String, Value>) -> Result<(), ConfigError> {
    refuse_unknown("HubSpot", FIELDS, creds)?;
    if !bounded_str(creds, APP_ID, 32)?
        .chars()
        .all(|c| c.is_ascii_digit())
    {
        return Err(ConfigError::new(APP_ID, "must be the app's numeric id"));
    }
    bounded_str(creds, CLIENT_SECRET, MAX_LEN)?;
    bounded_str(creds, ACCESS_TOKEN, MAX_LEN)?;
    for field in [SENDER_ACTOR_ID, CHANNEL_ID, CHANNEL_ACCOUNT_ID] {
        if creds.get(field).is_some_and(|v| !v.is_null()) {
            bounded_str(creds, field, 128)?;
        }
    }
    Ok(())
}

pub fn value<'a>(creds: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    creds
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn app_secret_and_token_are_required_and_the_reply_fields_optional() {
        let ok = json!({"app_id": "1098266", "client_secret": "s", "access_token": "t"});
        let ok = ok.as_object().cloned().unwrap_or_default();
        assert_eq!(validate_credentials(&ok), Ok(()));
        for field in [APP_ID, CLIENT_SECRET, ACCESS_TOKEN] {
            let mut c = ok.clone();
            c.remove(field);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
        for (field, v) in [
            (APP_ID, json!("my-app")),
            (CHANNEL_ID, json!(1000)),
            ("portal", json!("1")),
        ] {
            let mut c = ok.clone();
            c.insert(field.into(), v);
            assert_eq!(validate_credentials(&c).unwrap_err().field, field);
        }
    }
}

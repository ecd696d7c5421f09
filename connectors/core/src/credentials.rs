//! The credential fields a connector declares: name, whether required, what kind of value
//! (a secret is stored encrypted and shown masked; an outbound URL is checked against private
//! addresses before the gateway calls it), help text and where the operator finds the value.
//! The gateway, the API and the console read these instead of knowing any provider, and the
//! shared checks below give connectors the common part of `validate_credentials`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::connector::ConfigError;

/// What kind of value a credential field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A plain identifier, shown as entered.
    Text,
    /// A secret: stored encrypted, never shown in full.
    Secret,
    /// The address of an installation the gateway calls (a self-hosted helpdesk): checked
    /// against loopback, private and metadata addresses at registration.
    OutboundUrl,
}

/// One credential field of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CredentialField {
    /// The key in `credentials` (`webhook_secret`).
    pub name: &'static str,
    pub required: bool,
    pub kind: FieldKind,
    /// What the value is, in one sentence.
    pub help: &'static str,
    /// Where in the provider's dashboard or API the operator finds it.
    pub where_to_find: &'static str,
    /// A well-formed (fake) value, for documentation, tests and fuzzing.
    pub example: &'static str,
}

impl CredentialField {
    pub fn is_secret(&self) -> bool {
        self.kind == FieldKind::Secret
    }
}

/// Names of the declared secret fields.
pub fn secret_names(fields: &[CredentialField]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|f| f.is_secret())
        .map(|f| f.name)
        .collect()
}

/// Credentials made of every declared field's example: a channel that passes validation.
pub fn example(fields: &[CredentialField]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| (f.name.to_string(), Value::String(f.example.to_string())))
        .collect()
}

/// The Markdown table of `fields` that each connector's README shows between
/// [`README_TABLE_START`] and [`README_TABLE_END`] (a test keeps them equal).
pub fn markdown_table(fields: &[CredentialField]) -> String {
    if fields.is_empty() {
        return "This provider takes no credentials.\n".to_string();
    }
    let mut table = String::from(
        "| credential | kind | required | what it is | where to find it |\n|---|---|---|---|---|\n",
    );
    for f in fields {
        let kind = match f.kind {
            FieldKind::Text => "plain",
            FieldKind::Secret => "**secret**",
            FieldKind::OutboundUrl => "URL",
        };
        let required = if f.required { "yes" } else { "no" };
        table.push_str(&format!(
            "| `{}` | {kind} | {required} | {} | {} |\n",
            f.name,
            f.help.replace('|', "\\|"),
            f.where_to_find.replace('|', "\\|"),
        ));
    }
    table
}

/// The markers around the generated credential table in a connector's README.
pub const README_TABLE_START: &str =
    "<!-- credentials: generated from the connector's declaration, do not edit -->";
pub const README_TABLE_END: &str = "<!-- end of credentials -->";

/// Whether two channels' credentials name the same provider account: their required plain
/// fields (account ids, the installation's address) are equal, or, for a provider whose
/// credentials are all secrets, their required secrets are. Values compare as text, so
/// `7` and `"7"` are the same account.
pub fn same_account(
    fields: &[CredentialField],
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> bool {
    let plain: Vec<&CredentialField> = fields
        .iter()
        .filter(|f| f.required && !f.is_secret())
        .collect();
    let identity: Vec<&CredentialField> = if plain.is_empty() {
        fields.iter().filter(|f| f.required).collect()
    } else {
        plain
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.trim().trim_end_matches('/').to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    !identity.is_empty()
        && identity.iter().all(|f| {
            let (x, y) = (text(a.get(f.name)), text(b.get(f.name)));
            x.is_some() && x == y
        })
}

/// The outbound URLs among `credentials`, as (field name, URL), for the SSRF check.
pub fn outbound_urls<'c>(
    fields: &[CredentialField],
    credentials: &'c Map<String, Value>,
) -> Vec<(&'static str, &'c str)> {
    fields
        .iter()
        .filter(|f| f.kind == FieldKind::OutboundUrl)
        .filter_map(|f| Some((f.name, credentials.get(f.name)?.as_str()?)))
        .collect()
}

/// Refuses the first field that is not declared, naming it. Checked first by connectors: a
/// misspelt secret would otherwise be stored as a plain, unmasked credential.
pub fn refuse_unknown(
    provider: &str,
    fields: &[CredentialField],
    credentials: &Map<String, Value>,
) -> Result<(), ConfigError> {
    match credentials
        .keys()
        .find(|k| !fields.iter().any(|f| f.name == k.as_str()))
    {
        None => Ok(()),
        Some(unknown) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let known = match names.as_slice() {
                [] => "it takes none".to_string(),
                [one] => format!("the only one is {one}"),
                many => many.join(", "),
            };
            Err(ConfigError::new(
                unknown.as_str(),
                format!("is not a {provider} credential ({known})"),
            ))
        }
    }
}

/// A required, non-blank string field.
pub fn required_str<'a>(
    credentials: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a str, ConfigError> {
    match credentials.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            Err(ConfigError::new(field, "is required"))
        }
        Some(_) => Err(ConfigError::new(field, "must be a string")),
    }
}

/// A required string field of at most `max` bytes (tokens far longer than the provider's are a
/// paste error).
pub fn bounded_str<'a>(
    credentials: &'a Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<&'a str, ConfigError> {
    let value = required_str(credentials, field)?;
    if value.len() > max {
        return Err(ConfigError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[CredentialField] = &[
        CredentialField {
            name: "base_url",
            required: true,
            kind: FieldKind::OutboundUrl,
            help: "The installation.",
            where_to_find: "The browser's address bar.",
            example: "https://chat.example.com",
        },
        CredentialField {
            name: "token",
            required: true,
            kind: FieldKind::Secret,
            help: "The token.",
            where_to_find: "Profile settings.",
            example: "tok-1",
        },
    ];

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn unknown_fields_are_refused_by_name_with_the_known_ones_listed() {
        let err = refuse_unknown("Example", FIELDS, &map(json!({"tokn": "x"}))).unwrap_err();
        assert_eq!(err.field, "tokn");
        assert_eq!(err.message, "is not a Example credential (base_url, token)");
        assert_eq!(refuse_unknown("Example", FIELDS, &example(FIELDS)), Ok(()));
        let err = refuse_unknown("Example", &FIELDS[1..], &map(json!({"x": 1}))).unwrap_err();
        assert_eq!(
            err.message,
            "is not a Example credential (the only one is token)"
        );
    }

    #[test]
    fn secrets_and_outbound_urls_come_from_the_declarations() {
        assert_eq!(secret_names(FIELDS), ["token"]);
        let creds = example(FIELDS);
        assert_eq!(
            outbound_urls(FIELDS, &creds),
            [("base_url", "https://chat.example.com")]
        );
    }

    #[test]
    fn the_same_account_is_told_by_the_plain_fields_or_else_the_secrets() {
        let a = map(json!({"base_url": "https://chat.example.com/", "token": "t1"}));
        let b = map(json!({"base_url": "https://chat.example.com", "token": "t2"}));
        let c = map(json!({"base_url": "https://other.example.com", "token": "t1"}));
        assert!(
            same_account(FIELDS, &a, &b),
            "another token, the same installation"
        );
        assert!(!same_account(FIELDS, &a, &c));
        let secrets_only = &FIELDS[1..];
        assert!(same_account(secrets_only, &a, &c), "the same secret");
        assert!(!same_account(secrets_only, &a, &b));
        let numbers = [CredentialField {
            name: "account_id",
            required: true,
            kind: FieldKind::Text,
            help: "",
            where_to_find: "",
            example: "7",
        }];
        assert!(same_account(
            &numbers,
            &map(json!({"account_id": 7})),
            &map(json!({"account_id": "7"}))
        ));
        assert!(!same_account(&numbers, &map(json!({})), &map(json!({}))));
    }

    #[test]
    fn required_strings_are_present_non_blank_strings_within_bounds() {
        let creds = map(json!({"a": "x", "b": " ", "c": 5, "d": "toolong"}));
        assert_eq!(required_str(&creds, "a"), Ok("x"));
        assert_eq!(
            required_str(&creds, "b").unwrap_err().message,
            "is required"
        );
        assert_eq!(
            required_str(&creds, "c").unwrap_err().message,
            "must be a string"
        );
        assert_eq!(required_str(&creds, "z").unwrap_err().field, "z");
        assert_eq!(
            bounded_str(&creds, "d", 3).unwrap_err().message,
            "is longer than 3 characters"
        );
    }
}

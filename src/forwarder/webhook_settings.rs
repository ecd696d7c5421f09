//! The `webhook` destination kind: a Standard Webhooks endpoint at `url`, signed with the
//! destination's secret (shown once, on creation).

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::destination::{DestinationKind, FieldError};
use crate::error::Code;
use crate::kinds::{Kind, Made};

/// The webhook fields of a create or update body (as documented in the API).
#[derive(Deserialize, ToSchema)]
pub struct WebhookFields {
    #[schema(example = "https://helpdesk.example.com/omnigate")]
    pub url: Option<String>,
}

pub struct WebhookKind;

fn url_error(detail: impl Into<String>) -> FieldError {
    FieldError::new(Code::InvalidUrl, "url", detail)
}

/// The endpoint's URL: http(s) with a host, and no credentials in it.
fn valid_url(value: &Value) -> Result<String, FieldError> {
    let url = value.as_str().ok_or_else(|| {
        FieldError::new(
            Code::InvalidBody,
            "url",
            "url: invalid type: expected a string",
        )
    })?;
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| url_error(format!("url: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(url_error(
            "url must be an http:// or https:// URL with a host",
        ));
    }
    if crate::egress::has_userinfo(&parsed) {
        return Err(FieldError::new(
            Code::UrlHasCredentials,
            "url",
            "url must not hold a user name or password; the destination's signing secret authenticates its deliveries",
        ));
    }
    Ok(parsed.to_string())
}

fn given(fields: &Map<String, Value>) -> Option<&Value> {
    fields.get("url").filter(|v| !v.is_null())
}

impl Kind for WebhookKind {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn fields(&self) -> &'static [&'static str] {
        &["url"]
    }

    fn deliverer(&self) -> &'static dyn crate::forwarder::Deliverer {
        &super::webhook::Webhook
    }

    fn shows_signing_secret(&self) -> bool {
        true
    }

    fn takes_test_events(&self) -> bool {
        true
    }

    fn create(&self, fields: &Map<String, Value>) -> Result<Made, FieldError> {
        let url = given(fields).ok_or_else(|| url_error("url is required"))?;
        Ok(Made {
            url: valid_url(url)?,
            target_field: "url",
            kind: DestinationKind::Webhook,
        })
    }

    fn update(
        &self,
        _current: &DestinationKind,
        fields: &Map<String, Value>,
    ) -> Result<Option<Made>, FieldError> {
        let Some(url) = given(fields) else {
            return Ok(None);
        };
        Ok(Some(Made {
            url: valid_url(url)?,
            target_field: "url",
            kind: DestinationKind::Webhook,
        }))
    }
}

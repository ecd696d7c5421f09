//! Filling in a contact named by id only: `GET {base}/v2/contacts/{contact id}` with
//! `Authorization: Bearer <api_token>` (the endpoint a production integration uses; Smartsupp
//! publishes no reference for it). The answer is read tolerantly: the contact object itself,
//! or under `data` or `contact`, with `name`, `email` and `phone`; what the event already
//! had is kept.

use omnigate_connector_core::fields::text;
use omnigate_connector_core::{EnrichContext, Enrichment, Method, NormalizedEvent, ProviderCall};
use serde_json::{Map, Value};

use crate::config::{secret, API_TOKEN};

pub fn is_thin(event: &NormalizedEvent) -> bool {
    event.provider_event.detail.get("thin") == Some(&Value::Bool(true))
        && event
            .contact
            .as_ref()
            .is_some_and(|c| c.provider_ref.is_some())
}

pub fn call(ctx: &EnrichContext<'_>, event: &NormalizedEvent) -> Result<ProviderCall, Enrichment> {
    let token = secret(ctx.credentials, API_TOKEN).ok_or_else(|| {
        Enrichment::refused(
            "channel_misconfigured",
            "the channel has no api_token to read the contact with",
        )
    })?;
    // Contact ids go into a URL path: letters, digits, `-` and `_` only.
    let contact = event
        .contact
        .as_ref()
        .and_then(|c| c.provider_ref.as_deref())
        .filter(|id| {
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .ok_or_else(|| Enrichment::refused("invalid_ids", "the event has no usable contact id"))?;
    Ok(ProviderCall {
        method: Method::Get,
        url: format!(
            "{}/v2/contacts/{contact}",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: Vec::new(),
    })
}

pub fn read(event: &NormalizedEvent, status: u16, body: &[u8]) -> Enrichment {
    if !(200..300).contains(&status) {
        return Enrichment::from_status(status, "Smartsupp");
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let found: Option<&Map<String, Value>> = parsed.as_ref().and_then(|v| {
        let o = v.as_object()?;
        ["data", "contact"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_object))
            .or(Some(o))
    });
    let Some(found) = found else {
        return Enrichment::refused("invalid_answer", "Smartsupp's answer is not a JSON object");
    };
    let mut ev = event.clone();
    ev.provider_event.detail.remove("thin");
    if let Some(c) = ev.contact.as_mut() {
        c.name = c.name.take().or_else(|| text(found.get("name")));
        c.email = c.email.take().or_else(|| text(found.get("email")));
        c.phone = c.phone.take().or_else(|| text(found.get("phone")));
    }
    Enrichment::Enriched(Box::new(ev))
}

//! The JSON shapes of the admin API. Secrets never leave through here: credentials are masked
//! field by field, and a destination's signing secret is shown only when it is created.

use omnigate_connector_core::Connector;
use serde_json::{json, Map, Value};

use crate::crypto::mask;
use crate::domain::channel::Channel;
use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::store::StoredEvent;

pub fn channel(ch: &Channel, connector: Option<&dyn Connector>, public_base: &str) -> Value {
    let secret_fields = connector.map(|c| c.secret_fields()).unwrap_or(&[]);
    let credentials: Map<String, Value> = ch
        .credentials
        .iter()
        .map(|(k, v)| {
            let shown = if secret_fields.contains(&k.as_str()) || connector.is_none() {
                Value::String(mask(v.as_str().unwrap_or_default()))
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect();
    let mut view = json!({
        "id": ch.id,
        "provider": ch.provider,
        "name": ch.name,
        "state": ch.state,
        "state_reason": ch.state_reason,
        "credentials": credentials,
        "settings": ch.settings,
        "webhook_url": Value::Null,
        "created_at": ch.created_at,
        "updated_at": ch.updated_at,
    });
    if let (Some(key), Some(connector)) = (&ch.webhook_key, connector) {
        let base = format!("{public_base}/hooks/{key}");
        let topics = connector.topics();
        if topics.is_empty() {
            view["webhook_url"] = Value::String(base);
        } else {
            let urls: Map<String, Value> = topics
                .iter()
                .map(|t| (t.to_string(), Value::String(format!("{base}/{t}"))))
                .collect();
            view["webhook_urls"] = Value::Object(urls);
        }
        if let Some(obj) = view.as_object_mut() {
            obj.extend(connector.approval_extras(&ch.credentials, &ch.channel_key));
        }
    }
    view
}

/// A destination; a `chatwoot` one also shows its settings (secrets masked) and the callback
/// URL to paste into the Chatwoot inbox.
pub fn destination(d: &Destination, public_base: &str) -> Value {
    let mut view = json!({
        "id": d.id,
        "kind": d.kind(),
        "url": d.url,
        "event_types": d.event_types,
        "channels": d.channels,
        "include_raw": d.include_raw,
        "enabled": d.enabled,
        "disabled_reason": d.disabled_reason,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    });
    if let (Some(c), Some(obj)) = (&d.chatwoot, view.as_object_mut()) {
        obj.extend([
            ("base_url".to_string(), json!(c.base_url)),
            ("account_id".to_string(), json!(c.account_id)),
            ("inbox_id".to_string(), json!(c.inbox_id)),
            (
                "api_access_token".to_string(),
                json!(mask(&c.api_access_token)),
            ),
            (
                "inbox_secret".to_string(),
                json!(c.inbox_secret.as_deref().map(mask)),
            ),
            (
                "allow_unsigned_callbacks".to_string(),
                json!(c.allow_unsigned_callbacks),
            ),
            (
                "callback_url".to_string(),
                json!(format!(
                    "{public_base}/v1/helpdesks/chatwoot/{}/callback",
                    d.id
                )),
            ),
        ]);
    }
    view
}

pub fn event(e: &StoredEvent, include_raw: bool) -> Value {
    with_raw(e.envelope.clone(), e.raw.as_deref(), include_raw)
}

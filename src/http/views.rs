//! The JSON shapes of the admin API, as typed views that derive their OpenAPI schema. Secrets
//! never leave through here: credentials are masked field by field, and a destination's signing
//! secret is shown only when it is created.

use omnigate_connector_core::Connector;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::mask;
use crate::domain::channel::{Channel, ChannelState};
use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::store::StoredEvent;

/// A channel; secret credentials are masked (`****abcd`).
#[derive(Serialize, ToSchema)]
#[schema(as = Channel)]
pub struct ChannelView {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub state: ChannelState,
    pub state_reason: Option<String>,
    #[schema(value_type = Object)]
    pub credentials: Map<String, Value>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// Where the provider posts webhooks while the channel takes them (`pending`, `approved`);
    /// `null` before approval is requested and once it is rejected or revoked.
    pub webhook_url: Option<String>,
    /// For providers with one URL per topic: topic -> URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub webhook_urls: Option<Map<String, Value>>,
    pub created_at: String,
    pub updated_at: String,
    /// What the provider adds once approval was requested (Naver: `brand_key` for Partner
    /// Center, `chat_url` the chat's public URL), at the top level.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub approval: Map<String, Value>,
}

impl ChannelView {
    pub fn new(ch: &Channel, connector: Option<&dyn Connector>, public_base: &str) -> Self {
        let secret_fields = connector.map(|c| c.secret_fields()).unwrap_or(&[]);
        let credentials = ch
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
        let mut view = ChannelView {
            id: ch.id.clone(),
            provider: ch.provider.clone(),
            name: ch.name.clone(),
            state: ch.state,
            state_reason: ch.state_reason.clone(),
            credentials,
            settings: ch.settings.clone(),
            webhook_url: None,
            webhook_urls: None,
            created_at: ch.created_at.clone(),
            updated_at: ch.updated_at.clone(),
            approval: Map::new(),
        };
        // Only a channel that takes webhooks shows where to send them: a rejected or revoked
        // channel's URL would only answer 404.
        let key = ch
            .webhook_key
            .as_ref()
            .filter(|_| ch.state.accepts_webhooks());
        if let (Some(key), Some(connector)) = (key, connector) {
            let base = format!("{public_base}/hooks/{key}");
            let topics = connector.topics();
            if topics.is_empty() {
                view.webhook_url = Some(base);
            } else {
                view.webhook_urls = Some(
                    topics
                        .iter()
                        .map(|t| (t.to_string(), Value::String(format!("{base}/{t}"))))
                        .collect(),
                );
            }
            view.approval = connector.approval_extras(&ch.credentials, &ch.channel_key);
        }
        view
    }
}

/// A destination: a Standard Webhooks endpoint (`webhook`) or a Chatwoot API-channel inbox
/// (`chatwoot`, with its settings, secrets masked, and the callback URL).
#[derive(Serialize, ToSchema)]
#[schema(as = Destination)]
pub struct DestinationView {
    pub id: String,
    #[schema(example = "webhook")]
    pub kind: &'static str,
    pub url: String,
    pub event_types: Vec<String>,
    pub channels: Vec<String>,
    pub include_raw: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The signing secret (`whsec_...`), only in the answer that created a webhook destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub secret: Option<String>,
    /// A helpdesk destination's settings (secrets masked) and its callback URL, at the top level.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ChatwootView)]
    pub chatwoot: Option<ChatwootView>,
}

/// A Chatwoot destination's settings, secrets masked (absent from a webhook destination).
#[derive(Serialize, ToSchema)]
pub struct ChatwootView {
    #[schema(required = false)]
    pub base_url: String,
    #[schema(required = false)]
    pub account_id: u64,
    #[schema(required = false)]
    pub inbox_id: u64,
    #[schema(required = false)]
    pub api_access_token: String,
    #[schema(required = false)]
    pub inbox_secret: Option<String>,
    #[schema(required = false)]
    pub allow_unsigned_callbacks: bool,
    /// The Chatwoot inbox's webhook URL.
    #[schema(required = false)]
    pub callback_url: String,
}

impl DestinationView {
    pub fn new(d: &Destination, public_base: &str) -> Self {
        DestinationView {
            id: d.id.clone(),
            kind: d.kind(),
            url: d.url.clone(),
            event_types: d.event_types.clone(),
            channels: d.channels.clone(),
            include_raw: d.include_raw,
            enabled: d.enabled,
            disabled_reason: d.disabled_reason.clone(),
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
            secret: None,
            chatwoot: d.chatwoot.as_ref().map(|c| ChatwootView {
                base_url: c.base_url.clone(),
                account_id: c.account_id,
                inbox_id: c.inbox_id,
                api_access_token: mask(&c.api_access_token),
                inbox_secret: c.inbox_secret.as_deref().map(mask),
                allow_unsigned_callbacks: c.allow_unsigned_callbacks,
                callback_url: format!("{public_base}/v1/helpdesks/chatwoot/{}/callback", d.id),
            }),
        }
    }
}

pub fn event(e: &StoredEvent, include_raw: bool) -> Value {
    with_raw(e.envelope.clone(), e.raw.as_deref(), include_raw)
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
}

#[derive(Serialize, ToSchema)]
pub struct DestinationList {
    pub items: Vec<DestinationView>,
}

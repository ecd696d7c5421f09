//! The JSON shapes of the admin API, as typed views that derive their OpenAPI schema. Secrets
//! never leave through here: credentials are masked field by field, and a destination's signing
//! secret is shown only when it is created.

use crate::domain::ids::{ChannelId, DestinationId, MessageId, TokenId};
use omnigate_connector_core::{Connector, CredentialField, FieldKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::mask;
use crate::domain::channel::{Channel, ChannelState, StateChange};
use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::domain::secret::ExposeSecret;
use crate::domain::time::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::helpdesk::chatwoot::callback::Answer;
use crate::kinds::KindViews;
use crate::store::{Delivery, StoredEvent, TokenInfo};

/// A channel; secret credentials are masked (`****abcd`).
#[derive(Serialize, ToSchema)]
#[schema(as = Channel)]
pub struct ChannelView {
    #[schema(value_type = String)]
    pub id: ChannelId,
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// What the provider adds once approval was requested, at the top level.
    #[serde(flatten)]
    pub approval: ApprovalView,
}

impl ChannelView {
    pub fn new(ch: &Channel, connector: Option<&dyn Connector>, public_base: &str) -> Self {
        let secret_fields = connector.map(|c| c.secret_fields()).unwrap_or(&[]);
        let credentials = ch
            .credentials
            .expose_secret()
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
            created_at: ch.created_at,
            updated_at: ch.updated_at,
            approval: ApprovalView::default(),
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
            view.approval = ApprovalView::new(
                connector.approval_extras(ch.credentials.expose_secret(), &ch.channel_key),
            );
        }
        view
    }
}

/// A destination: a Standard Webhooks endpoint (`webhook`) or a Chatwoot API-channel inbox
/// (`chatwoot`, with its settings, secrets masked, and the callback URL).
#[derive(Serialize, ToSchema)]
#[schema(as = Destination)]
pub struct DestinationView {
    #[schema(value_type = String)]
    pub id: DestinationId,
    #[schema(example = "webhook")]
    pub kind: &'static str,
    pub url: String,
    pub event_types: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<ChannelId>,
    pub include_raw: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// When it was disabled; `null` while enabled. Events arriving meanwhile are not queued for
    /// it: enabling it answers how many there were and the replay that sends them.
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Whether its circuit breaker is open: its last attempts timed out or could not connect,
    /// so its deliveries wait (spending no attempts) until one probe, after
    /// `delivery.breaker_cooldown`, gets an answer. Only in `GET /v1/destinations/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub circuit_open: Option<bool>,
    /// The signing secret (`whsec_...`), only in the answer that created a webhook destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub secret: Option<String>,
    /// What the destination's kind adds (a helpdesk's settings, secrets masked, and its
    /// callback URL), at the top level.
    #[serde(flatten)]
    #[schema(inline, value_type = KindViews)]
    pub settings: Map<String, Value>,
}

impl DestinationView {
    pub fn new(d: &Destination, public_base: &str) -> Self {
        DestinationView {
            id: d.id.clone(),
            kind: d.kind_name(),
            url: crate::egress::shown_url(&d.url),
            event_types: d.event_types.clone(),
            channels: d.channels.clone(),
            include_raw: d.include_raw,
            enabled: d.enabled,
            disabled_reason: d.disabled_reason.clone(),
            disabled_at: d.disabled_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
            circuit_open: None,
            secret: None,
            settings: crate::kinds::of(d).shown(d, public_base),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DestinationList {
    pub items: Vec<DestinationView>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

/// What a provider adds to a channel once approval was requested, at the channel's top level.
#[derive(Serialize, ToSchema, Default)]
#[schema(as = ChannelApproval)]
pub struct ApprovalView {
    /// Naver: the brand key for Partner Center.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub brand_key: Option<String>,
    /// Naver: the chat's public URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub chat_url: Option<String>,
    /// Whatever else a provider adds, as it gives it.
    #[serde(flatten)]
    #[schema(ignore)]
    pub other: Map<String, Value>,
}

impl ApprovalView {
    fn new(mut extras: Map<String, Value>) -> Self {
        let mut text = |key: &str| match extras.remove(key) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                extras.insert(key.to_string(), other);
                None
            }
            None => None,
        };
        let (brand_key, chat_url) = (text("brand_key"), text("chat_url"));
        ApprovalView {
            brand_key,
            chat_url,
            other: extras,
        }
    }
}

/// An event, exactly as the helpdesk receives it.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    #[serde(rename = "type")]
    #[schema(example = "message.received")]
    pub kind: String,
    pub timestamp: String,
    /// `event_id`, `channel`, `conversation`, `contact`, `message`, `provider_event`, ...
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

impl EventView {
    /// The stored envelope, with `data.raw` when asked for (or reserved).
    pub fn new(e: &StoredEvent, include_raw: bool) -> ApiResult<Self> {
        serde_json::from_value(with_raw(e.envelope.clone(), e.raw.as_deref(), include_raw))
            .map_err(|err| ApiError::internal(format!("event {} is not an envelope: {err}", e.id)))
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelHistory {
    pub items: Vec<StateChange>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplayResult {
    #[schema(value_type = String)]
    pub destination_id: DestinationId,
    /// How many deliveries were queued.
    pub queued: u64,
    pub since: String,
    pub until: String,
}

/// `helpdesk` tokens may only relay replies; `admin` tokens use the whole API.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    Helpdesk,
    Admin,
}

/// A new token; `token` is shown only here.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    #[schema(value_type = String)]
    pub id: TokenId,
    pub role: TokenRole,
    pub label: String,
    #[schema(example = "ogt_...")]
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
}

/// At most `max_calls` provider calls in any `window`.
#[derive(Serialize, ToSchema)]
#[schema(as = RateLimit)]
pub struct RateLimitView {
    pub max_calls: u32,
    #[schema(example = "3000ms")]
    pub window: String,
}

/// What a provider can do.
#[derive(Serialize, ToSchema)]
#[schema(as = Provider)]
pub struct ProviderView {
    #[schema(example = "naver_talktalk")]
    pub id: &'static str,
    /// Inbound topics (`/hooks/{key}/{topic}`); empty: the bare URL only.
    pub topics: &'static [&'static str],
    pub replies: bool,
    pub content_types: &'static [&'static str],
    pub rate_limit: Option<RateLimitView>,
    /// The fields a channel's `credentials` take, as the connector declares them.
    pub credentials: Vec<CredentialFieldView>,
}

/// One credential field of a provider.
#[derive(Serialize, ToSchema)]
#[schema(as = CredentialField)]
pub struct CredentialFieldView {
    #[schema(example = "send_api_key")]
    pub name: &'static str,
    pub required: bool,
    /// Stored encrypted and shown masked.
    pub secret: bool,
    /// `text`, `secret`, or `outbound_url` (an address the gateway calls, checked against
    /// private addresses).
    #[schema(example = "secret")]
    pub kind: &'static str,
    pub help: &'static str,
    pub where_to_find: &'static str,
    /// A well-formed fake value.
    pub example: &'static str,
}

impl CredentialFieldView {
    fn new(field: &CredentialField) -> Self {
        CredentialFieldView {
            name: field.name,
            required: field.required,
            secret: field.is_secret(),
            kind: match field.kind {
                FieldKind::Text => "text",
                FieldKind::Secret => "secret",
                FieldKind::OutboundUrl => "outbound_url",
            },
            help: field.help,
            where_to_find: field.where_to_find,
            example: field.example,
        }
    }
}

impl ProviderView {
    pub fn new(connector: &dyn Connector) -> Self {
        let caps = connector.capabilities();
        ProviderView {
            id: connector.provider(),
            topics: caps.topics,
            replies: caps.replies,
            content_types: caps.content_types,
            rate_limit: caps.rate_limit.map(|r| RateLimitView {
                max_calls: r.max_calls,
                window: format!("{}ms", r.window.as_millis()),
            }),
            credentials: connector
                .credential_fields()
                .iter()
                .map(CredentialFieldView::new)
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    pub items: Vec<ProviderView>,
}

/// What became of a helpdesk callback.
#[derive(Serialize, ToSchema)]
pub struct CallbackAnswer {
    #[schema(example = "queued")]
    pub status: CallbackStatus,
    /// `ignored`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<&'static str>,
    /// `queued`: the replies queued in the relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = Option<Vec<String>>)]
    pub message_ids: Option<Vec<MessageId>>,
    /// `refused`: the rule or limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallbackStatus {
    /// An unsigned callback was taken; what became of it is not told.
    Accepted,
    Queued,
    Ignored,
    Duplicate,
    Refused,
}

impl CallbackAnswer {
    fn of(status: CallbackStatus) -> Self {
        CallbackAnswer {
            status,
            reason: None,
            message_ids: None,
            code: None,
            detail: None,
        }
    }
}

impl From<Answer> for CallbackAnswer {
    fn from(answer: Answer) -> Self {
        match answer {
            Answer::Duplicate => CallbackAnswer::of(CallbackStatus::Duplicate),
            Answer::Ignored(reason) => CallbackAnswer {
                reason: Some(reason),
                ..CallbackAnswer::of(CallbackStatus::Ignored)
            },
            Answer::Refused { code, detail } => CallbackAnswer {
                code: Some(code),
                detail: Some(detail),
                ..CallbackAnswer::of(CallbackStatus::Refused)
            },
            Answer::Queued(ids) => CallbackAnswer {
                message_ids: Some(ids),
                ..CallbackAnswer::of(CallbackStatus::Queued)
            },
            Answer::Accepted => CallbackAnswer::of(CallbackStatus::Accepted),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok`, or `degraded` while webhooks are spooled locally.
    #[schema(example = "ok")]
    pub store: &'static str,
}

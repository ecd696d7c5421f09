//! Schema-only types for the OpenAPI document: the answers handlers still build with `json!`
//! (the typed views in `views.rs` derive their own). Request bodies and store records carry
//! their own `ToSchema`.

#![allow(dead_code)]

use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::channel::StateChange;
use crate::store::{Delivery, TokenInfo};

#[derive(ToSchema)]
pub struct ChannelHistory {
    pub items: Vec<StateChange>,
}

#[derive(ToSchema)]
pub struct ReplayResult {
    pub destination_id: String,
    /// How many deliveries were queued.
    pub queued: u64,
    pub since: String,
    pub until: String,
}

/// An event, exactly as the helpdesk receives it.
#[derive(ToSchema, serde::Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    #[schema(example = "message.received")]
    pub kind: String,
    pub timestamp: String,
    /// `event_id`, `channel`, `conversation`, `contact`, `message`, `provider_event`, ...
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

#[derive(ToSchema)]
pub struct EventPage {
    pub items: Vec<Event>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

#[derive(ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

/// At most `max_calls` provider calls in any `window`.
#[derive(ToSchema)]
pub struct RateLimit {
    pub max_calls: u32,
    #[schema(example = "3000ms")]
    pub window: String,
}

/// What a provider can do.
#[derive(ToSchema)]
pub struct Provider {
    #[schema(example = "naver_talktalk")]
    pub id: String,
    /// Inbound topics (`/hooks/{key}/{topic}`); empty: the bare URL only.
    pub topics: Vec<String>,
    pub replies: bool,
    pub content_types: Vec<String>,
    pub rate_limit: Option<RateLimit>,
}

#[derive(ToSchema)]
pub struct ProviderList {
    pub items: Vec<Provider>,
}

/// A new token; `token` is shown only here.
#[derive(ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub role: String,
    pub label: String,
    #[schema(example = "ogt_...")]
    pub token: String,
}

/// `helpdesk` tokens may only relay replies; `admin` tokens use the whole API.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    Helpdesk,
    Admin,
}

#[derive(ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
}

/// What became of a Chatwoot callback.
#[derive(ToSchema)]
pub struct CallbackAnswer {
    #[schema(example = "queued")]
    pub status: CallbackStatus,
    /// `ignored`: why.
    #[schema(nullable = false)]
    pub reason: Option<String>,
    /// `queued`: the replies queued in the relay.
    #[schema(nullable = false)]
    pub message_ids: Option<Vec<String>>,
    /// `refused`: the rule or limit.
    #[schema(nullable = false)]
    pub code: Option<String>,
    #[schema(nullable = false)]
    pub detail: Option<String>,
}

#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackStatus {
    Queued,
    Ignored,
    Duplicate,
    Refused,
}

#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

#[derive(ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: String,
    #[schema(example = "ok")]
    pub store: String,
}

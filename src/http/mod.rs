//! The HTTP surface: provider webhooks (`/hooks`), the admin API (`/v1`), health probes, and
//! the OpenAPI document of all of it (`/openapi.json`).

mod admin;
mod chatwoot_callback;
mod health;
pub(crate) mod middleware;
mod openapi;
mod relay;
pub(crate) mod views;
mod webhooks;

use std::sync::Arc;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::connectors::Registry;
use crate::store::Store;

pub use crate::error::{ApiError, ApiResult, Code};
use admin::{
    agents, channels, deliveries, destination_test, destinations, event_stream, events, teams,
    tokens,
};
pub use middleware::auth::{
    configured_label, AdminTokens, CONFIGURED_LABEL, ROLE_ADMIN, ROLE_HELPDESK, ROLE_RETIRED,
};
pub use middleware::guard::{guard, Limits};
pub use middleware::request_id::middleware as request_id;
pub use middleware::slow_clients::{slow_clients, timed_out};

/// What every handler shares.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub registry: Registry,
    pub tokens: AdminTokens,
    /// Wakes the relay when a reply is queued.
    pub relay_wake: Arc<tokio::sync::Notify>,
    /// Calls back into helpdesks (Chatwoot message status).
    pub helpdesk_client: reqwest::Client,
    /// The ingress's webhook-key lookups.
    pub channels: crate::ingress::ChannelCache,
    /// Flood control and header limits, checked before handlers run.
    pub limits: Limits,
    /// Each destination's share of the delivery workers and its circuit breaker.
    pub breakers: Arc<crate::forwarder::Shares>,
    /// Seals and opens the web console's session cookies.
    pub sessions: crate::console::session::Sessions,
}

/// Largest admin JSON body.
const ADMIN_BODY_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(ADMIN_BODY_LIMIT)
            .error_handler(|e, _| json_error(e).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()))
    .configure(health::configure)
    .configure(webhooks::configure)
    .configure(channels::configure)
    .configure(destinations::configure)
    .configure(destination_test::configure)
    .configure(chatwoot_callback::configure)
    .configure(event_stream::configure)
    .configure(events::configure)
    .configure(deliveries::configure)
    .configure(relay::configure)
    .configure(tokens::configure)
    .configure(agents::configure)
    .configure(teams::configure)
    .configure(openapi::configure)
    .configure(crate::console::configure)
    .default_service(web::to(not_found));
}

async fn not_found(req: HttpRequest) -> ApiResult<HttpResponse> {
    Err(ApiError::new(
        Code::NotFound,
        format!(
            "no route for {} {}",
            req.method(),
            crate::startup::redacted_path(req.path())
        ),
    ))
}

fn json_error(e: JsonPayloadError) -> ApiError {
    match e {
        JsonPayloadError::ContentType => ApiError::new(
            Code::UnsupportedMediaType,
            "send the body as Content-Type: application/json",
        ),
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            Code::BodyTooLarge,
            format!("the body is larger than {limit} bytes"),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::new(Code::InvalidBody, e.to_string())
        }
        JsonPayloadError::Deserialize(e) => ApiError::new(Code::InvalidJson, e.to_string()),
        other => ApiError::with_status(
            StatusCode::BAD_REQUEST,
            Code::InvalidBody,
            other.to_string(),
        ),
    }
}

fn query_error(e: QueryPayloadError) -> ApiError {
    ApiError::new(Code::InvalidQuery, e.to_string())
}

fn path_error(e: PathError) -> ApiError {
    ApiError::new(Code::InvalidPath, e.to_string())
}

/// A JSON body that may be absent: empty means `T::default()`, anything else must parse.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::new(Code::InvalidBody, e.to_string())
        } else {
            ApiError::new(Code::InvalidJson, e.to_string())
        }
    })
}

/// 201/200 with a JSON body.
pub fn json(status: StatusCode, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// Refuses an operation that hands out a URL for someone else to call (a channel's webhook URL,
/// a Chatwoot callback URL) while that URL would be on an unspecified address.
pub fn urls_reachable(state: &AppState) -> ApiResult<()> {
    let server = &state.settings.server;
    if !server.public_base_unreachable() {
        return Ok(());
    }
    Err(ApiError::new(
        Code::PublicUrlRequired,
        format!(
            "the gateway listens on {} and server.public_url is unset, so this URL would be {}/..., \
             which no provider or helpdesk can reach; set server.public_url to the address they \
             reach this gateway at (environment: OMNIGATE__SERVER__PUBLIC_URL=https://omnigate.example.com) \
             and restart the gateway",
            server.host,
            server.public_base()
        ),
    ))
}

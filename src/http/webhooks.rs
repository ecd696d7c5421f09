//! `/hooks/{webhook_key}[/{topic}]`: provider webhooks in. The body is read as raw bytes under a
//! size limit, verified before it is parsed, normalized, and stored durably before the 200.
//! A known channel's payload that no mapping understands is stored as `provider.unrecognized`
//! and acked: some providers (Naver) never retry and block endpoints that keep failing.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use omnigate_connector_core::{ChannelContext, InboundRequest};
use utoipa::OpenApi;

use super::schemas::Problem;
use super::{ApiError, ApiResult, AppState};
use crate::domain::channel::Channel;
use crate::domain::envelope;
use crate::store::{AppendOutcome, NewEvent, StoreError};
use crate::telemetry;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(hook).service(hook_topic);
}

fn unknown_key() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_webhook_key",
        "no channel takes webhooks at this URL",
    )
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "receiveWebhook",
    summary = "A provider webhook",
    params(("key" = String, Path, description = "The channel's webhook key")),
    request_body(content = Value, description = "The provider's webhook, as it sends it", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (or a duplicate); an empty body"),
        (status = 401, description = "`signature_missing`, `signature_invalid`, `timestamp_out_of_window` (the provider's check)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`source_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`unknown_webhook_key`: no channel takes webhooks here, or it is not `pending`/`approved`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[post("/hooks/{key}")]
async fn hook(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    measured(ingest(&req, &state, &key, None, body)).await
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "receiveWebhookForTopic",
    summary = "A provider webhook for one topic",
    params(("key" = String, Path, description = "The channel's webhook key"), ("topic" = String, Path, description = "The provider's topic (Chatlio: `new-conversation`, `transcript`, ...)")),
    request_body(content = Value, description = "The provider's webhook, as it sends it", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (or a duplicate); an empty body"),
        (status = 401, description = "`signature_missing`, `signature_invalid`, `timestamp_out_of_window` (the provider's check)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`source_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`unknown_webhook_key`: no channel takes webhooks here, or it is not `pending`/`approved`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[post("/hooks/{key}/{topic}")]
async fn hook_topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let (key, topic) = path.into_inner();
    measured(ingest(&req, &state, &key, Some(&topic), body)).await
}

/// What a webhook came to, for `omnigate_webhooks_received_total`.
struct Accepted {
    provider: String,
    outcome: &'static str,
}

/// Counts every webhook by provider and outcome, and times the accepted ones.
async fn measured(
    work: impl std::future::Future<Output = Result<Accepted, (Option<String>, ApiError)>>,
) -> ApiResult<HttpResponse> {
    let started = std::time::Instant::now();
    match work.await {
        Ok(done) => {
            metrics::counter!(telemetry::WEBHOOKS, "provider" => done.provider.clone(), "outcome" => done.outcome).increment(1);
            metrics::histogram!(telemetry::INGEST_SECONDS, "provider" => done.provider)
                .record(started.elapsed().as_secs_f64());
            // An empty 200: some providers (Naver) read a JSON body as a synchronous reply.
            Ok(HttpResponse::Ok().finish())
        }
        Err((provider, e)) => {
            let outcome = match e.code {
                "unknown_webhook_key" => "unknown_key",
                "body_too_large" => "too_large",
                "source_not_allowed" => "forbidden",
                "signature_missing" | "signature_invalid" | "timestamp_out_of_window" => {
                    "unauthorized"
                }
                _ => "error",
            };
            let provider = provider.unwrap_or_else(|| "unknown".into());
            metrics::counter!(telemetry::WEBHOOKS, "provider" => provider, "outcome" => outcome)
                .increment(1);
            Err(e)
        }
    }
}

/// Reads the body up to `limit` bytes; a declared or actual larger body is refused without
/// reading it to the end.
pub(super) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("body_unreadable", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn source_ip(req: &HttpRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        // The right-most entry is the one our own proxy appended; the others are client-supplied.
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

fn headers_of(req: &HttpRequest) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect()
}

async fn ingest(
    req: &HttpRequest,
    state: &AppState,
    key: &str,
    topic: Option<&str>,
    payload: web::Payload,
) -> Result<Accepted, (Option<String>, ApiError)> {
    let channel = state
        .channels
        .by_webhook_key(state.store.as_ref(), key)
        .await
        .map_err(|e| (None, e.into()))?
        .filter(|c| c.state.accepts_webhooks())
        .ok_or_else(|| (None, unknown_key()))?;
    let provider = || Some(channel.provider.clone());
    let connector = state.registry.get(&channel.provider).ok_or_else(|| {
        let e = ApiError::internal(format!("no connector for provider {}", channel.provider));
        (provider(), e)
    })?;
    let topics = connector.topics();
    let topic_ok = match topic {
        None => topics.is_empty(),
        Some(t) => topics.contains(&t),
    };
    if !topic_ok {
        return Err((provider(), unknown_key()));
    }
    let body = read_body(req, payload, state.settings.server.max_body_bytes)
        .await
        .map_err(|e| (provider(), e))?;
    let headers = headers_of(req);
    let inbound = InboundRequest {
        topic,
        headers: &headers,
        body: &body,
        source_ip: source_ip(req, state.settings.server.trust_forwarded_for),
        received_at: chrono::Utc::now().timestamp(),
    };
    let ctx = ChannelContext {
        credentials: &channel.credentials,
        settings: &channel.settings,
    };
    if let Err(e) = connector.verify(&inbound, &ctx) {
        tracing::warn!(channel = %channel.id, provider = %channel.provider, code = e.code(), "webhook refused: {e}");
        let status = match e {
            omnigate_connector_core::VerifyError::SourceNotAllowed(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        return Err((provider(), ApiError::new(status, e.code(), e.to_string())));
    }
    let normalized = connector.normalize(&inbound, &ctx);
    let unrecognized = normalized
        .iter()
        .all(|e| e.event_type == omnigate_connector_core::EventType::ProviderUnrecognized);
    // The raw body is kept as the connector allows (without secrets a provider put inside it).
    let raw = match connector.redact_raw(&body) {
        None => Keep::Nothing,
        Some(std::borrow::Cow::Borrowed(_)) => Keep::AsReceived,
        Some(std::borrow::Cow::Owned(redacted)) => Keep::Redacted(redacted),
    };
    let raw = match raw {
        Keep::Nothing => None,
        Keep::AsReceived => Some(Arc::new(body)),
        Keep::Redacted(redacted) => Some(Arc::new(redacted)),
    };
    let events = to_new_events(
        &channel,
        normalized,
        raw,
        super::middleware::request_id::of(req),
    );
    let count = events.len();
    let outcomes = state.store.append(&channel.id, events).await.map_err(|e| {
        let e = match e {
            StoreError::NotFound => unknown_key(),
            other => other.into(),
        };
        (provider(), e)
    })?;
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == AppendOutcome::Duplicate)
        .count();
    let stored = (count - duplicates) as u64;
    metrics::counter!(telemetry::EVENTS_STORED, "provider" => channel.provider.clone())
        .increment(stored);
    tracing::debug!(channel = %channel.id, events = count, duplicates, "webhook stored");
    let outcome = if count > 0 && duplicates == count {
        "duplicate"
    } else if unrecognized {
        "unrecognized"
    } else {
        "accepted"
    };
    Ok(Accepted {
        provider: channel.provider.clone(),
        outcome,
    })
}

/// What of a webhook's body is kept.
enum Keep {
    Nothing,
    AsReceived,
    Redacted(Vec<u8>),
}

fn to_new_events(
    channel: &Channel,
    normalized: Vec<omnigate_connector_core::NormalizedEvent>,
    raw: Option<Arc<Vec<u8>>>,
    request_id: Option<String>,
) -> Vec<NewEvent> {
    let received_at = envelope::now();
    normalized
        .into_iter()
        .map(|ev| {
            let id = crate::ids::event_id();
            let conversation_id = ev
                .conversation_ref
                .as_deref()
                .map(|r| crate::ids::conversation_id(&channel.id, r));
            NewEvent {
                envelope: envelope::provider_event(
                    &id,
                    &received_at,
                    channel,
                    conversation_id.as_deref(),
                    &ev,
                ),
                id,
                event_type: ev.event_type.as_str().to_string(),
                conversation_id,
                conversation_ref: ev.conversation_ref,
                dedup_key: ev.dedup_key,
                raw: raw.clone(),
                request_id: request_id.clone(),
            }
        })
        .collect()
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(hook, hook_topic))]
pub(super) struct Doc;

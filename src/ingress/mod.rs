//! The ingress: a provider webhook in, stored events out. The channel is found by its webhook
//! key (cached), the body is read under a size limit and verified before it is parsed, then
//! normalized and appended durably; the HTTP handler only extracts and answers. A known
//! channel's payload that no mapping understands is stored as `provider.unrecognized` and
//! acked: some providers (Naver) never retry and block endpoints that keep failing.

mod body;
mod channel_cache;
mod source_ip;

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::web;
use omnigate_connector_core::{
    ChannelContext, Connector, EventType, InboundRequest, NormalizedEvent, REQUEST_URL_HEADER,
};

pub use body::{headers_of, read_body};
pub use channel_cache::ChannelCache;
pub use source_ip::source_ip;

use crate::connectors::Registry;
use crate::domain::channel::Channel;
use crate::domain::envelope;
use crate::domain::secret::ExposeSecret;
use crate::domain::time::Timestamp;
use crate::error::ApiError;
use crate::error::Code;
use crate::store::{AppendOutcome, NewEvent, Store, StoreError};
use crate::telemetry;

/// What the ingress works with; borrowed from the gateway's shared state for each webhook.
pub struct Ingress<'a> {
    pub store: &'a dyn Store,
    pub registry: &'a Registry,
    pub channels: &'a ChannelCache,
    /// Largest webhook body.
    pub max_body_bytes: usize,
    /// Behind our own proxy: take the source address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
}

/// One webhook as it arrived, before its body is read.
pub struct Webhook<'a> {
    pub key: &'a str,
    /// The provider's topic (`/hooks/{key}/{topic}`), if the URL had one.
    pub topic: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub peer: Option<IpAddr>,
    pub request_id: Option<String>,
    /// The URL the provider called, rebuilt from `server.public_url` and the request's path and
    /// query (never from the Host header); providers that sign it read it from the connector's
    /// request-URL pseudo-header.
    pub url: String,
}

/// What became of an accepted webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// Every event in it was stored before.
    Duplicate,
    /// Stored as `provider.unrecognized`.
    Unrecognized,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Unrecognized => "unrecognized",
        }
    }
}

fn unknown_key() -> ApiError {
    ApiError::new(
        Code::UnknownWebhookKey,
        "no channel takes webhooks at this URL",
    )
}

/// Takes one webhook: counts it by provider and outcome in `omnigate_webhooks_received_total`
/// and times the accepted ones.
pub async fn receive(
    ingress: &Ingress<'_>,
    hook: Webhook<'_>,
    body: web::Payload,
) -> Result<Outcome, ApiError> {
    let started = std::time::Instant::now();
    match ingest(ingress, hook, body).await {
        Ok((provider, outcome)) => {
            metrics::counter!(telemetry::WEBHOOKS, "provider" => provider.clone(), "outcome" => outcome.as_str()).increment(1);
            metrics::histogram!(telemetry::INGEST_SECONDS, "provider" => provider)
                .record(started.elapsed().as_secs_f64());
            Ok(outcome)
        }
        Err((provider, e)) => {
            let outcome = match e.code {
                Code::UnknownWebhookKey => "unknown_key",
                Code::BodyTooLarge => "too_large",
                Code::SourceNotAllowed => "forbidden",
                Code::SignatureMissing | Code::SignatureInvalid | Code::TimestampOutOfWindow => {
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

/// The pipeline; an error carries the provider once the channel is known, for the metrics.
async fn ingest(
    ingress: &Ingress<'_>,
    hook: Webhook<'_>,
    payload: web::Payload,
) -> Result<(String, Outcome), (Option<String>, ApiError)> {
    let channel = ingress
        .channels
        .by_webhook_key(ingress.store, hook.key)
        .await
        .map_err(|e| (None, e.into()))?
        .filter(|c| c.state.accepts_webhooks())
        .ok_or_else(|| (None, unknown_key()))?;
    let provider = || Some(channel.provider.clone());
    let connector = ingress.registry.get(&channel.provider).ok_or_else(|| {
        let e = ApiError::internal(format!("no connector for provider {}", channel.provider));
        (provider(), e)
    })?;
    let topics = connector.topics();
    let topic_ok = match hook.topic {
        None => topics.is_empty(),
        Some(t) => topics.contains(&t),
    };
    if !topic_ok {
        return Err((provider(), unknown_key()));
    }
    let body = read_body(hook.headers, payload, ingress.max_body_bytes)
        .await
        .map_err(|e| (provider(), e))?;
    let mut headers = headers_of(hook.headers);
    headers.retain(|(name, _)| name != REQUEST_URL_HEADER);
    headers.push((REQUEST_URL_HEADER.to_string(), hook.url.clone()));
    let inbound = InboundRequest {
        topic: hook.topic,
        headers: &headers,
        body: &body,
        source_ip: source_ip::source_ip(hook.headers, hook.peer, ingress.trust_forwarded_for),
        received_at: Timestamp::now().secs(),
    };
    let ctx = ChannelContext {
        credentials: channel.credentials.expose_secret(),
        settings: &channel.settings,
    };
    if let Err(e) = connector.verify(&inbound, &ctx) {
        tracing::warn!(channel = %channel.id, provider = %channel.provider, code = e.code(), "webhook refused: {e}");
        return Err((provider(), ApiError::new(Code::from(&e), e.to_string())));
    }
    let normalized = connector.normalize(&inbound, &ctx);
    let unrecognized = normalized
        .iter()
        .all(|e| e.event_type == EventType::ProviderUnrecognized);
    // The raw body is kept as the connector allows (without secrets a provider put inside it).
    let raw = match connector.redact_raw(&body) {
        None => None,
        Some(Cow::Borrowed(_)) => Some(Arc::new(body)),
        Some(Cow::Owned(redacted)) => Some(Arc::new(redacted)),
    };
    let events = to_new_events(&channel, connector, normalized, raw, hook.request_id);
    let count = events.len();
    let outcomes = ingress
        .store
        .append(&channel.id, events)
        .await
        .map_err(|e| {
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
        Outcome::Duplicate
    } else if unrecognized {
        Outcome::Unrecognized
    } else {
        Outcome::Accepted
    };
    Ok((channel.provider.clone(), outcome))
}

fn to_new_events(
    channel: &Channel,
    connector: &dyn Connector,
    normalized: Vec<NormalizedEvent>,
    raw: Option<Arc<Vec<u8>>>,
    request_id: Option<String>,
) -> Vec<NewEvent> {
    let received_at = Timestamp::now();
    normalized
        .into_iter()
        .map(|ev| {
            let id = crate::ids::event_id();
            let conversation_id = ev
                .conversation_ref
                .as_deref()
                .map(|r| crate::ids::conversation_id(&channel.id, r));
            let mut envelope = envelope::provider_event(
                &id,
                received_at,
                channel,
                conversation_id.as_deref(),
                &ev,
            );
            // A thin event is stored as it came and filled in by the forwarder (crate::enrich).
            let event_type = if connector.needs_enrichment(&ev) {
                crate::enrich::envelope::mark_pending(&mut envelope);
                envelope::PENDING_ENRICHMENT
            } else {
                ev.event_type.as_str()
            };
            NewEvent {
                envelope,
                id,
                event_type: event_type.to_string(),
                conversation_id,
                conversation_ref: ev.conversation_ref,
                dedup_key: ev.dedup_key,
                raw: raw.clone(),
                request_id: request_id.clone(),
            }
        })
        .collect()
}

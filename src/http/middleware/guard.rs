//! Checks made before any handler runs, so none of them costs a body read: oversized headers
//! (431), flood control per webhook key, per API token and on failed authentication per source
//! address (429 with `Retry-After`), and the
//! authentication of admin API calls (401 before a byte of the body is read; the handler's
//! extractor then only checks the token's role).

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::auth::{self, Authenticated};
use super::auth_failures::AuthFailures;
use super::slow_clients::InFlight;
use crate::config::SecuritySettings;
use crate::error::Code;
use crate::http::{ApiError, AppState};

/// Keys a limiter remembers before it forgets those back at a full bucket.
const MAX_TRACKED_KEYS: usize = 10_000;

/// A rate limit per key (webhook key or token hash).
struct Limiter<K: Hash + Eq + Clone> {
    inner: Option<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(per_second: u32, burst: u32) -> Self {
        let inner = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Limiter { inner }
    }

    /// `Err(seconds to wait)` when the key is over its limit.
    fn check(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        if limiter.len() > MAX_TRACKED_KEYS {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The flood-control state, shared by every worker.
#[derive(Clone)]
pub struct Limits {
    webhooks: Arc<Limiter<String>>,
    tokens: Arc<Limiter<String>>,
    auth_failures: Arc<AuthFailures>,
    pub(crate) in_flight: Arc<InFlight>,
    max_header_bytes: usize,
}

impl Limits {
    pub fn new(s: &SecuritySettings) -> Limits {
        Limits {
            webhooks: Arc::new(Limiter::new(s.webhook_rate_per_second, s.webhook_burst)),
            tokens: Arc::new(Limiter::new(s.api_rate_per_second, s.api_burst)),
            auth_failures: Arc::new(AuthFailures::new(
                s.auth_failures_per_minute,
                s.auth_failure_burst,
            )),
            in_flight: Arc::new(InFlight::default()),
            max_header_bytes: s.max_header_bytes,
        }
    }
}

impl Limits {
    /// Counts one verified callback of a helpdesk destination against the webhook rate;
    /// `Err` holds the seconds to wait.
    pub fn admit_callback(&self, destination: &str) -> Result<(), u64> {
        self.webhooks.check(&format!("helpdesk:{destination}"))
    }
}

impl Limits {
    /// Refuses an address over its failed-authentication budget (the console's sign-in counts
    /// against the same budget as the API's bearer tokens).
    pub fn authentication_allowed(&self, ip: std::net::IpAddr) -> Result<(), ApiError> {
        self.auth_failures
            .check(ip)
            .map_err(|wait| rate_limited("address after failed authentications", wait))
    }

    /// Counts one failed authentication of `ip`.
    pub fn authentication_failed(&self, ip: std::net::IpAddr) -> Result<(), ApiError> {
        self.auth_failures
            .failed(ip)
            .map_err(|wait| rate_limited("address after failed authentications", wait))
    }
}

/// The answer to a callback over its destination's rate.
pub fn callback_rate_limited(retry_after: u64) -> ApiError {
    rate_limited("callback URL", retry_after)
}

fn rate_limited(what: &str, retry_after: u64) -> ApiError {
    ApiError::new(
        Code::RateLimited,
        format!("too many requests for this {what}; retry after {retry_after} s"),
    )
    .retry_after(retry_after.max(1))
}

async fn check(req: &ServiceRequest) -> Result<(), ApiError> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(());
    };
    let limits = &state.limits;
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if header_bytes > limits.max_header_bytes {
        return Err(ApiError::new(
            Code::HeadersTooLarge,
            format!(
                "the request's headers are larger than {} bytes",
                limits.max_header_bytes
            ),
        ));
    }
    let path = req.path();
    if let Some(rest) = path.strip_prefix("/hooks/") {
        let key = rest.split('/').next().unwrap_or_default().to_string();
        return limits
            .webhooks
            .check(&key)
            .map_err(|wait| rate_limited("webhook URL", wait));
    }
    if path.starts_with("/v1/helpdesks/") {
        // A helpdesk's callback URL takes no bearer token (it is signed). Its rate is counted
        // by the handler, per destination and only once a callback passed verification
        // (`Limits::admit_callback`), so junk cannot spend a real helpdesk's budget.
        return Ok(());
    }
    if path.starts_with("/v1/") {
        let source = crate::ingress::source_ip(
            req.headers(),
            req.peer_addr().map(|a| a.ip()),
            state.settings.server.trust_forwarded_for,
        );
        if let Some(ip) = source {
            limits
                .auth_failures
                .check(ip)
                .map_err(|wait| rate_limited("address after failed authentications", wait))?;
        }
        if !req.headers().contains_key("authorization") {
            if let Some(session) = state.sessions.read(req.request()) {
                // A console page calling the API with its session cookie.
                if crate::console::session::is_change(req.method()) {
                    crate::console::session::check_change(req.request(), &session, None)?;
                }
                limits
                    .tokens
                    .check(&session.token_hash)
                    .map_err(|wait| rate_limited("token", wait))?;
                let role = auth::resolve_hash(&state, &session.token_hash).await?;
                req.extensions_mut().insert(Authenticated(role));
                return Ok(());
            }
        }
        let token = auth::bearer(req.headers());
        if let Ok(token) = &token {
            let hash = crate::crypto::token_hash(token);
            limits
                .tokens
                .check(&hash)
                .map_err(|wait| rate_limited("token", wait))?;
        }
        let role = match auth::resolve(&state, token).await {
            Ok(role) => role,
            Err(e) if e.code == Code::Unauthorized => {
                if let Some(ip) = source {
                    limits.auth_failures.failed(ip).map_err(|wait| {
                        rate_limited("address after failed authentications", wait)
                    })?;
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        req.extensions_mut().insert(Authenticated(role));
    }
    Ok(())
}

/// The middleware: refuses early, or hands the request on.
pub async fn guard<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match check(&req).await {
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// Refuses a URL an API caller registers when it points inward (see [`crate::egress`]):
/// 422 `url_not_allowed` naming the field.
pub async fn outbound_allowed(state: &AppState, url: &str, field: &str) -> Result<(), ApiError> {
    let egress = crate::egress::Egress::from_settings(&state.settings.security);
    crate::egress::check_url(url, &egress).await.map_err(|e| {
        ApiError::new(
            Code::UrlNotAllowed,
            format!(
                "{field}: {e}; to allow it, set security.allow_private_destinations = true \
                 (environment: OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS=true, or run with \
                 OMNIGATE_ENV=dev), or name the address in \
                 security.private_destination_allowlist, and restart the gateway"
            ),
        )
        .with("field", field.to_string())
    })
}

/// The same check for the credentials the connector declares as addresses the gateway will
/// call (Chatwoot's `base_url`).
pub async fn credentials_allowed(
    state: &AppState,
    connector: &dyn omnigate_connector_core::Connector,
    credentials: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    for (field, url) in connector.outbound_urls(credentials) {
        outbound_allowed(state, url, &format!("credentials.{field}")).await?;
    }
    Ok(())
}

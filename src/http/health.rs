//! Liveness and readiness probes.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::OpenApi;

use super::views::{Health, Ready};
use super::{json, ApiError, ApiResult, AppState};
use crate::domain::secret::ExposeSecret;
use crate::error::Code;
use crate::error::Problem;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics_text);
}

/// Liveness
#[utoipa::path(
    tag = "operations",
    operation_id = "getHealth",
    responses(
        (status = 200, description = "Alive", body = Health)
    ),
    security(())
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    json(StatusCode::OK, Health { status: "ok" })
}

/// Readiness
#[utoipa::path(
    tag = "operations",
    operation_id = "getReadiness",
    responses(
        (status = 200, description = "The store answers", body = Ready),
        (status = 503, description = "`store_unavailable`", body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let answered = state.store.ping().await;
    if state.store.degraded() {
        // Webhooks are still taken (spooled locally): keep this replica in the load balancer.
        return Ok(json(
            StatusCode::OK,
            Ready {
                status: "ready",
                store: "degraded",
            },
        ));
    }
    answered.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::new(Code::StoreUnavailable, "the store does not answer")
    })?;
    Ok(json(
        StatusCode::OK,
        Ready {
            status: "ready",
            store: "ok",
        },
    ))
}

/// Whether the request may read the metrics: always when no `server.metrics_token` is set,
/// else only with `Authorization: Bearer <that token>` (compared in constant time).
fn may_read_metrics(req: &HttpRequest, token: &str) -> bool {
    if token.is_empty() {
        return true;
    }
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (a, b) = (
        Sha256::digest(presented.trim().as_bytes()),
        Sha256::digest(token.as_bytes()),
    );
    bool::from(a.ct_eq(&b))
}

/// Prometheus metrics
///
/// Prometheus text format. Queue depths are read from the store at scrape time. Labels name
/// providers and destination kinds, never a channel's or destination's id. With
/// `server.metrics_token` set, the scrape needs it as a bearer token.
#[utoipa::path(
    tag = "operations",
    operation_id = "getMetrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: `server.metrics_token` is set and the request does not carry it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`metrics_unavailable`", body = Problem, content_type = "application/problem+json")
    ),
    security((), ("metrics" = []))
)]
#[get("/metrics")]
async fn metrics_text(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !may_read_metrics(&req, state.settings.server.metrics_token.expose_secret()) {
        return Err(ApiError::new(
            Code::Unauthorized,
            "/metrics needs the bearer token set in server.metrics_token",
        ));
    }
    let handle = crate::telemetry::prometheus()
        .ok_or_else(|| ApiError::new(Code::MetricsUnavailable, "metrics are disabled"))?;
    if let Ok(q) = state.store.queue_stats().await {
        metrics::gauge!(crate::telemetry::QUEUED_DELIVERIES).set(q.queued_deliveries as f64);
        metrics::gauge!(crate::telemetry::DEAD_DELIVERIES).set(q.dead_deliveries as f64);
        metrics::gauge!(crate::telemetry::QUEUED_REPLIES).set(q.queued_replies as f64);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render()))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(healthz, readyz, metrics_text))]
pub(super) struct Doc;

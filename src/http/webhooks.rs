//! `/hooks/{webhook_key}[/{topic}]`: provider webhooks in, handed to the ingress. The answer
//! is an empty 200: some providers (Naver) read a JSON body as a synchronous reply.

use actix_web::{post, web, HttpRequest, HttpResponse};
use utoipa::OpenApi;

use super::middleware::request_id;
use super::{ApiResult, AppState};
use crate::error::Problem;
use crate::ingress::{self, Ingress, Webhook};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(hook).service(hook_topic);
}

/// A provider webhook
#[utoipa::path(
    tag = "webhooks",
    operation_id = "receiveWebhook",
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
    receive(&req, &state, &key, None, body).await
}

/// A provider webhook for one topic
#[utoipa::path(
    tag = "webhooks",
    operation_id = "receiveWebhookForTopic",
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
    receive(&req, &state, &key, Some(&topic), body).await
}

async fn receive(
    req: &HttpRequest,
    state: &AppState,
    key: &str,
    topic: Option<&str>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let ingress = Ingress {
        store: state.store.as_ref(),
        registry: &state.registry,
        channels: &state.channels,
        max_body_bytes: state.settings.server.max_body_bytes,
        trust_forwarded_for: state.settings.server.trust_forwarded_for,
    };
    let webhook = Webhook {
        key,
        topic,
        headers: req.headers(),
        peer: req.peer_addr().map(|a| a.ip()),
        request_id: request_id::of(req),
        url: format!(
            "{}{}",
            state.settings.server.public_base(),
            req.uri()
                .path_and_query()
                .map_or(req.path(), |p| p.as_str())
        ),
    };
    ingress::receive(&ingress, webhook, body).await?;
    Ok(HttpResponse::Ok().finish())
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(hook, hook_topic))]
pub(super) struct Doc;

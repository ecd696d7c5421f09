//! `POST /v1/helpdesks/chatwoot/hooks/{destination_id}/{secret}`: a Chatwoot inbox's
//! `webhook_url`. The secret is the destination's own callback secret, not its id; the access
//! log cuts the path at `hooks`, so neither reaches it.
//! The handler extracts the callback, hands it to [`crate::helpdesk::chatwoot::callback`] and
//! renders the answer.

use crate::domain::ids::DestinationId;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use utoipa::OpenApi;

use super::views::CallbackAnswer;
use super::{json, ApiError, ApiResult, AppState};
use crate::error::Code;
use crate::error::Problem;
use crate::helpdesk::chatwoot::callback::{
    self as chatwoot, Answer, Callback, CallbackError, Services,
};
use crate::ingress::{headers_of, read_body};

const DELIVERY_HEADER: &str = "x-chatwoot-delivery";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(callback);
}

fn render(answer: Answer) -> HttpResponse {
    json(StatusCode::OK, CallbackAnswer::from(answer))
}

impl From<CallbackError> for ApiError {
    fn from(e: CallbackError) -> Self {
        match e {
            CallbackError::NotFound => ApiError::not_found("chatwoot destination"),
            CallbackError::Unverified(e) => {
                ApiError::with_status(StatusCode::UNAUTHORIZED, Code::from(&e), e.to_string())
            }
            CallbackError::MissingSecret => ApiError::new(
                Code::SignatureMissing,
                "this destination has no inbox_secret to verify callbacks with",
            ),
            CallbackError::InvalidJson(detail) => ApiError::new(Code::InvalidJson, detail),
            CallbackError::RateLimited(wait) => {
                super::middleware::guard::callback_rate_limited(wait)
            }
            CallbackError::Store(e) => e.into(),
        }
    }
}

#[utoipa::path(
    tag = "helpdesks",
    operation_id = "chatwootCallback",
    summary = "A Chatwoot inbox's callback (signed by Chatwoot)",
    params(
        ("destination_id" = String, Path, description = "The Chatwoot destination's id"),
        ("secret" = String, Path, description = "The destination's callback secret, as its `callback_url` shows it")
    ),
    request_body(content = serde_json::Value, description = "Chatwoot's webhook event", content_type = "application/json"),
    responses(
        (status = 200, description = "Verified; what became of it", body = CallbackAnswer),
        (status = 400, description = "`invalid_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`signature_missing`, `signature_invalid`, `timestamp_out_of_window`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such Chatwoot destination, or not its callback secret", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: this destination's verified callbacks are over `security.webhook_rate_per_second` (refused ones are not counted)", body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[post("/v1/helpdesks/chatwoot/hooks/{destination_id}/{secret}")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(DestinationId, String)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (id, secret) = path.into_inner();
    let dest = chatwoot::destination(state.store.as_ref(), &id, &secret).await?;
    let body = read_body(req.headers(), payload, state.settings.server.max_body_bytes).await?;
    let headers = headers_of(req.headers());
    let delivery = req
        .headers()
        .get(DELIVERY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= 255)
        .map(str::to_string);
    let services = Services {
        store: &state.store,
        registry: &state.registry,
        relay_wake: &state.relay_wake,
        client: &state.helpdesk_client,
        timeout: state.settings.delivery.request_timeout,
        admit: &|destination| state.limits.admit_callback(destination),
    };
    let received = Callback {
        headers: &headers,
        body: &body,
        delivery,
        request_id: super::middleware::request_id::of(&req),
    };
    Ok(render(chatwoot::handle(&services, &dest, received).await?))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(callback))]
pub(super) struct Doc;

//! `/v1/conversations/{id}/messages`: helpdesk replies in, queued durably and sent by the relay;
//! `/v1/messages/{id}`: where a reply stands; `/v1/providers`: what each provider can do.

use crate::domain::ids::{ConversationId, MessageId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::middleware::auth::Relayer;
use super::views::{ProviderList, ProviderView};
use super::{json, ApiError, ApiResult, AppState};
use crate::domain::reply::ReplyOrigin;
use crate::error::Code;
use crate::error::Problem;
use crate::relay::{self, Enqueued, Refusal};
use crate::store::RelayedMessage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(send).service(show).service(providers);
}

/// A reply: `GET /v1/providers` lists the content types each provider takes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Reply {
    /// `{"type": "text", "text": "..."}`, `image`, `cards`, `typing_on`, ...
    #[schema(example = json!({"type": "text", "text": "Your order ships today."}))]
    content: Value,
}

const IDEMPOTENCY_KEY_MAX: usize = 255;

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_MAX)
        .ok_or_else(|| {
            ApiError::new(
                Code::InvalidIdempotencyKey,
                format!("Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible characters"),
            )
        })?;
    Ok(Some(key.to_string()))
}

#[utoipa::path(
    tag = "relay",
    operation_id = "sendReply",
    summary = "Relay a reply to the visitor",
    params(("id" = String, Path, description = "The conversation's id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first reply; never sent twice")),
    request_body = Reply,
    responses(
        (status = 202, description = "Queued; the same `Idempotency-Key` again answers the first reply with `Idempotent-Replayed: true`", body = RelayedMessage),
        (status = 400, description = "`invalid_json`, `invalid_idempotency_key`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`: no token, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: this token's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such conversation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`reply_not_supported`, `channel_not_approved`, `channel_deleted`, `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a provider limit (`text_too_long`, `too_many_cards`, ...) or `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[post("/v1/conversations/{id}/messages")]
async fn send(
    caller: Relayer,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<ConversationId>,
    body: web::Json<Reply>,
) -> ApiResult<HttpResponse> {
    let reply = relay::Reply {
        idempotency_key: idempotency_key(&req)?,
        request_id: super::middleware::request_id::of(&req),
        ..relay::Reply::new(body.into_inner().content, ReplyOrigin::Api)
    };
    let enqueued = relay::enqueue(
        state.store.as_ref(),
        &state.registry,
        &state.relay_wake,
        &id,
        reply,
    )
    .await
    .map_err(refused)?;
    let mut resp = HttpResponse::build(StatusCode::ACCEPTED);
    match &enqueued {
        Enqueued::Queued(m) => {
            tracing::info!(message = %m.id, conversation = %m.conversation_id, role = %caller.role, "reply queued");
        }
        Enqueued::Replayed(_) => {
            resp.insert_header(("Idempotent-Replayed", "true"));
        }
    }
    Ok(resp.json(enqueued.message()))
}

/// The API's answer to a refused reply.
fn refused(refusal: Refusal) -> ApiError {
    let detail = refusal.to_string();
    match refusal {
        Refusal::UnknownConversation => ApiError::not_found("conversation"),
        Refusal::ChannelDeleted => ApiError::new(Code::ChannelDeleted, detail),
        Refusal::RepliesNotSupported { provider } => {
            ApiError::new(Code::ReplyNotSupported, detail).with("provider", provider)
        }
        Refusal::ChannelNotApproved { state } => ApiError::new(
            Code::ChannelNotApproved,
            format!("the conversation's channel is {state}; replies need an approved channel"),
        ),
        Refusal::InvalidContent {
            provider,
            code,
            message,
        } => ApiError::new(Code::Reply(code), message).with("provider", provider),
        Refusal::KeyReused { message_id } => {
            ApiError::new(Code::IdempotencyKeyReused, detail).with("message_id", message_id)
        }
        Refusal::Store(e) => e.into(),
    }
}

#[utoipa::path(
    tag = "relay",
    operation_id = "getMessage",
    summary = "Show a relayed reply",
    params(("id" = String, Path, description = "The message's id")),
    responses(
        (status = 200, description = "Where the reply stands", body = RelayedMessage),
        (status = 401, description = "`unauthorized`: no token, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: this token's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such message", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[get("/v1/messages/{id}")]
async fn show(
    _caller: Relayer,
    state: web::Data<AppState>,
    id: web::Path<MessageId>,
) -> ApiResult<HttpResponse> {
    let m = state
        .store
        .get_message(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(json(StatusCode::OK, m))
}

#[utoipa::path(
    tag = "relay",
    operation_id = "listProviders",
    summary = "What each provider can do",
    responses(
        (status = 200, description = "Each provider's capabilities", body = ProviderList),
        (status = 401, description = "`unauthorized`: no token, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: this token's role may not do this", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[get("/v1/providers")]
async fn providers(_caller: Relayer, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = state
        .registry
        .providers()
        .into_iter()
        .filter_map(|p| state.registry.get(p))
        .map(ProviderView::new)
        .collect();
    Ok(json(StatusCode::OK, ProviderList { items }))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(send, show, providers))]
pub(super) struct Doc;

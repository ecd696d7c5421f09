//! `/v1/channels`: register provider accounts, and walk them through approval.

use crate::domain::ids::ChannelId;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use omnigate_connector_core::credentials::same_account;
use omnigate_connector_core::Connector;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{OpenApi, ToSchema};

use super::paging::{self, PageQuery};
use crate::domain::channel::{Channel, ChannelState, Transition};
use crate::domain::secret::{CredentialMap, ExposeSecret};
use crate::domain::time::Timestamp;
use crate::error::Code;
use crate::error::Problem;
use crate::http::middleware::auth::Admin;
use crate::http::views::{ChannelHistory, ChannelList, ChannelView};
use crate::http::{json, optional_json, ApiError, ApiResult, AppState};
use crate::store::ChannelPatch;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(remove)
        .service(request_approval)
        .service(approve)
        .service(reject)
        .service(revoke)
        .service(rotate_key)
        .service(history);
}

/// A provider account to connect; `GET /v1/providers` lists the providers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    #[schema(example = "naver_talktalk")]
    provider: String,
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// The provider's credentials (see its connector's README).
    #[schema(value_type = Object)]
    credentials: Map<String, Value>,
    #[serde(default)]
    #[schema(value_type = Object)]
    settings: Map<String, Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChannelUpdate {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// Merged into the stored credentials; a `null` value removes a field.
    #[schema(value_type = Option<Object>)]
    credentials: Option<Map<String, Value>>,
    /// Replaces the stored settings.
    #[schema(value_type = Option<Object>)]
    settings: Option<Map<String, Value>>,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[schema(max_length = 1000)]
    reason: Option<String>,
}

fn connector_for(state: &AppState, provider: &str) -> ApiResult<&'static dyn Connector> {
    state.registry.get(provider).ok_or_else(|| {
        ApiError::new(
            Code::UnknownProvider,
            format!(
                "unknown provider \"{provider}\"; known: {}",
                state.registry.providers().join(", ")
            ),
        )
    })
}

fn valid_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(
            ApiError::new(Code::InvalidName, "name must be 1 to 200 characters")
                .with("field", "name"),
        );
    }
    Ok(name.to_string())
}

fn check_config(
    connector: &dyn Connector,
    creds: &Map<String, Value>,
    settings: &Map<String, Value>,
) -> ApiResult<()> {
    connector.validate_credentials(creds).map_err(|e| {
        ApiError::new(Code::InvalidCredentials, format!("credentials.{e}"))
            .with("field", format!("credentials.{}", e.field))
    })?;
    connector.validate_settings(settings).map_err(|e| {
        ApiError::new(Code::InvalidSettings, format!("settings.{e}"))
            .with("field", format!("settings.{}", e.field))
    })
}

fn view(state: &AppState, ch: &Channel) -> ChannelView {
    ChannelView::new(
        ch,
        state.registry.get(&ch.provider),
        &state.settings.server.public_base(),
    )
}

async fn load(state: &AppState, id: &ChannelId) -> ApiResult<Channel> {
    state
        .store
        .get_channel(id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel"))
}

/// Register a channel
#[utoipa::path(
    tag = "channels",
    operation_id = "createChannel",
    request_body = NewChannel,
    responses(
        (status = 201, description = "Registered, `state: unverified`; `warnings` when another channel is for the same provider account", body = CreatedChannel),
        (status = 422, description = "`unknown_provider`, `invalid_name`, `invalid_credentials`, `invalid_settings`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewChannel>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let connector = connector_for(&state, &body.provider)?;
    let name = valid_name(&body.name)?;
    check_config(connector, &body.credentials, &body.settings)?;
    crate::http::middleware::guard::credentials_allowed(&state, connector, &body.credentials)
        .await?;
    let now = Timestamp::now();
    let channel = Channel {
        id: crate::ids::channel_id(),
        provider: connector.provider().to_string(),
        name,
        credentials: CredentialMap::boxed(body.credentials),
        settings: body.settings,
        state: ChannelState::Unverified,
        state_reason: None,
        webhook_key: None,
        channel_key: crate::ids::channel_key(),
        created_at: now,
        updated_at: now,
    };
    let duplicates: Vec<ChannelId> = state
        .store
        .list_channels()
        .await?
        .into_iter()
        .filter(|c| c.provider == channel.provider)
        // A rejected or revoked channel takes nothing: only live ones compete for the account.
        .filter(|c| !matches!(c.state, ChannelState::Rejected | ChannelState::Revoked))
        .filter(|c| {
            same_account(
                connector.credential_fields(),
                c.credentials.expose_secret(),
                channel.credentials.expose_secret(),
            )
        })
        .map(|c| c.id)
        .collect();
    let stored = state.store.create_channel(channel).await?;
    tracing::info!(channel = %stored.id, provider = %stored.provider, "channel registered");
    let warnings = duplicates
        .iter()
        .map(|other| {
            tracing::warn!(channel = %stored.id, other = %other, "a channel for the same provider account already exists");
            format!(
                "channel {other} is for the same {} account; a provider usually posts to one \
                 webhook URL per account, so one of the two will receive nothing: revoke or \
                 delete the one you no longer use",
                stored.provider
            )
        })
        .collect();
    Ok(json(
        StatusCode::CREATED,
        CreatedChannel {
            channel: view(&state, &stored),
            warnings,
        },
    ))
}

/// A new channel, and what the operator should know about it.
#[derive(Serialize, ToSchema)]
struct CreatedChannel {
    #[serde(flatten)]
    channel: ChannelView,
    /// Present when there is something to check, e.g. another channel for the same provider
    /// account (it is registered anyway).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    warnings: Vec<String>,
}

/// List channels
#[utoipa::path(
    tag = "channels",
    operation_id = "listChannels",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of channels, oldest first", body = ChannelList),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []))
)]
#[get("/v1/channels")]
async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit()?;
    let page = state
        .store
        .list_channels_page(q.after(), limit)
        .await
        .map_err(paging::cursor_error)?;
    let next = paging::next(&page, limit, |c| &c.id);
    let items = page.iter().map(|c| view(&state, c)).collect();
    Ok(json(StatusCode::OK, ChannelList { items, next }))
}

/// Show a channel
#[utoipa::path(
    tag = "channels",
    operation_id = "getChannel",
    params(("id" = String, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The channel", body = ChannelView),
    ),
    security(("admin" = []))
)]
#[get("/v1/channels/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
) -> ApiResult<HttpResponse> {
    let ch = load(&state, &id).await?;
    Ok(json(StatusCode::OK, view(&state, &ch)))
}

/// Change a channel
#[utoipa::path(
    tag = "channels",
    operation_id = "updateChannel",
    description = "Credentials are merged (`null` removes a field); settings are replaced.",
    params(("id" = String, Path, description = "The channel's id")),
    request_body = ChannelUpdate,
    responses(
        (status = 200, description = "The changed channel", body = ChannelView),
        (status = 422, description = "`invalid_name`, `invalid_credentials`, `invalid_settings`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[patch("/v1/channels/{id}")]
async fn update(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
    body: web::Json<ChannelUpdate>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let current = load(&state, &id).await?;
    let connector = connector_for(&state, &current.provider)?;
    let name = body.name.as_deref().map(valid_name).transpose()?;
    let credentials = body.credentials.map(|changes| {
        let mut merged = current.credentials.expose_secret().to_map();
        for (k, v) in changes {
            if v.is_null() {
                merged.remove(&k);
            } else {
                merged.insert(k, v);
            }
        }
        CredentialMap::boxed(merged)
    });
    let next = credentials.as_ref().unwrap_or(&current.credentials);
    check_config(
        connector,
        next.expose_secret(),
        body.settings.as_ref().unwrap_or(&current.settings),
    )?;
    if let Some(credentials) = &credentials {
        let credentials = credentials.expose_secret();
        crate::http::middleware::guard::credentials_allowed(&state, connector, credentials).await?;
    }
    let patch = ChannelPatch {
        name,
        credentials,
        settings: body.settings,
    };
    let updated = state
        .store
        .update_channel(&id, patch)
        .await
        .map_err(ApiError::store("channel"))?;
    state.channels.clear();
    Ok(json(StatusCode::OK, view(&state, &updated)))
}

/// Delete a channel
#[utoipa::path(
    tag = "channels",
    operation_id = "deleteChannel",
    params(("id" = String, Path, description = "The channel's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`channel_active`: an approved channel cannot be deleted", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[delete("/v1/channels/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
) -> ApiResult<HttpResponse> {
    state
        .store
        .delete_channel(&id)
        .await
        .map_err(ApiError::store("channel"))?;
    state.channels.clear();
    Ok(HttpResponse::NoContent().finish())
}

async fn transition(
    state: &AppState,
    admin: &Admin,
    id: &ChannelId,
    t: Transition,
    reason: Option<String>,
) -> ApiResult<HttpResponse> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if let Some(r) = &reason {
        if r.chars().count() > 1000 {
            return Err(ApiError::new(
                Code::InvalidReason,
                "reason must be at most 1000 characters",
            ));
        }
    }
    if t == Transition::Reject && reason.is_none() {
        return Err(
            ApiError::new(Code::ReasonRequired, "rejecting a channel needs a reason")
                .with("field", "reason"),
        );
    }
    let (ch, from) = state
        .store
        .transition_channel(id, t, &admin.actor, reason, crate::ids::event_id())
        .await
        .map_err(ApiError::store("channel"))?;
    state.channels.clear();
    if let Some(from) = from {
        tracing::info!(channel = %ch.id, from = from.as_str(), to = ch.state.as_str(), "channel state changed");
        state.store.wakeups().notify_one();
    }
    Ok(json(StatusCode::OK, view(state, &ch)))
}

/// Request approval
#[utoipa::path(
    tag = "channels",
    operation_id = "requestChannelApproval",
    params(("id" = String, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "`pending`, with the webhook URL(s) and the provider's extras (Naver: `brand_key`, `chat_url`)", body = ChannelView),
        (status = 409, description = "`invalid_transition`: not allowed from the channel's state; `public_url_required`: the webhook URL would be on an unspecified address", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels/{id}/approval-request")]
async fn request_approval(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
) -> ApiResult<HttpResponse> {
    crate::http::urls_reachable(&state)?;
    transition(&state, &admin, &id, Transition::RequestApproval, None).await
}

/// Approve a pending channel
#[utoipa::path(
    tag = "channels",
    operation_id = "approveChannel",
    params(("id" = String, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "`approved`; held webhooks are forwarded", body = ChannelView),
        (status = 409, description = "`invalid_transition`: not allowed from the channel's state", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels/{id}/approve")]
async fn approve(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
) -> ApiResult<HttpResponse> {
    transition(&state, &admin, &id, Transition::Approve, None).await
}

/// Reject a pending channel
#[utoipa::path(
    tag = "channels",
    operation_id = "rejectChannel",
    params(("id" = String, Path, description = "The channel's id")),
    request_body = Option<Reason>,
    responses(
        (status = 200, description = "`rejected`", body = ChannelView),
        (status = 400, description = "`invalid_json` (the body is optional)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not allowed from the channel's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`reason_required`, `invalid_reason`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels/{id}/reject")]
async fn reject(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let reason = optional_json::<Reason>(&body)?.reason;
    transition(&state, &admin, &id, Transition::Reject, reason).await
}

/// Revoke an approved channel
#[utoipa::path(
    tag = "channels",
    operation_id = "revokeChannel",
    params(("id" = String, Path, description = "The channel's id")),
    request_body = Option<Reason>,
    responses(
        (status = 200, description = "`revoked`", body = ChannelView),
        (status = 400, description = "`invalid_json` (the body is optional)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not allowed from the channel's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_reason`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels/{id}/revoke")]
async fn revoke(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let reason = optional_json::<Reason>(&body)?.reason;
    transition(&state, &admin, &id, Transition::Revoke, reason).await
}

/// How long the replaced webhook key keeps working.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Rotation {
    /// Seconds the replaced key keeps working (0: refused at once); default
    /// `security.webhook_key_grace` (24 hours).
    #[schema(minimum = 0, maximum = 604800)]
    grace_seconds: Option<u64>,
}

/// The longest grace a rotation may ask for.
const MAX_GRACE_SECONDS: u64 = 7 * 24 * 3600;

/// A channel with its new webhook URL(s), and until when the replaced key works.
#[derive(Serialize, ToSchema)]
struct RotatedKey {
    #[serde(flatten)]
    channel: ChannelView,
    /// Until when the replaced webhook URL(s) keep working; `null`: refused already.
    previous_key_valid_until: Option<String>,
}

/// Rotate a channel's webhook key
#[utoipa::path(
    tag = "channels",
    operation_id = "rotateChannelWebhookKey",
    description = "Issues a new webhook key to a `pending` or `approved` channel and answers its new webhook URL(s). The replaced key keeps working for `grace_seconds` (default `security.webhook_key_grace`, 24 hours), long enough to paste the new URL into the provider; then only the new one works. Rejecting or revoking a channel retires its keys at once.",
    params(("id" = String, Path, description = "The channel's id")),
    request_body = Option<Rotation>,
    responses(
        (status = 200, description = "The channel with its new webhook URL(s)", body = RotatedKey),
        (status = 400, description = "`invalid_json` (the body is optional)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: the channel is not `pending` or `approved`; `public_url_required`: the webhook URL would be on an unspecified address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_grace`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/channels/{id}/rotate-key")]
async fn rotate_key(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    crate::http::urls_reachable(&state)?;
    let grace = match optional_json::<Rotation>(&body)?.grace_seconds {
        Some(s) if s > MAX_GRACE_SECONDS => {
            return Err(ApiError::new(
                Code::InvalidGrace,
                format!("grace_seconds must be at most {MAX_GRACE_SECONDS}"),
            )
            .with("field", "grace_seconds"))
        }
        Some(s) => std::time::Duration::from_secs(s),
        None => state.settings.security.webhook_key_grace,
    };
    let until = Timestamp::now() + grace;
    let ch = state
        .store
        .rotate_webhook_key(&id, crate::ids::webhook_key(), until)
        .await
        .map_err(ApiError::store("channel"))?;
    state.channels.clear();
    tracing::info!(channel = %ch.id, grace_seconds = grace.as_secs(), "webhook key rotated");
    let previous_key_valid_until = (!grace.is_zero()).then(|| until.rfc3339());
    Ok(json(
        StatusCode::OK,
        RotatedKey {
            channel: view(&state, &ch),
            previous_key_valid_until,
        },
    ))
}

/// A channel's state changes
#[utoipa::path(
    tag = "channels",
    operation_id = "getChannelHistory",
    params(("id" = String, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "Every state change, oldest first", body = ChannelHistory),
    ),
    security(("admin" = []))
)]
#[get("/v1/channels/{id}/history")]
async fn history(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<ChannelId>,
) -> ApiResult<HttpResponse> {
    load(&state, &id).await?;
    let items = state.store.channel_history(&id).await?;
    Ok(json(StatusCode::OK, ChannelHistory { items }))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    create,
    list,
    show,
    update,
    remove,
    request_approval,
    approve,
    reject,
    revoke,
    rotate_key,
    history
))]
pub(crate) struct Doc;

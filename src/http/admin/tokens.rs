//! `/v1/tokens`: API tokens for helpdesks (relay only) and further admins. A token's value is
//! shown once at creation; only its hash is stored. The bootstrap token (generated, or the
//! configured `admin.token`) is listed too and can be retired once another admin token exists;
//! the last admin token can never be deleted, since nothing could administer the gateway then.

use crate::domain::ids::TokenId;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::error::Code;
use crate::error::Problem;
use crate::http::middleware::auth::{
    Admin, CONFIGURED_LABEL, ROLE_ADMIN, ROLE_HELPDESK, ROLE_RETIRED,
};
use crate::http::views::{TokenCreated, TokenList, TokenRole};
use crate::http::{json, ApiError, ApiResult, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(list).service(remove);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    /// `helpdesk` (relay only) or `admin`; also accepted as `scope`.
    #[serde(alias = "scope")]
    #[schema(value_type = TokenRole)]
    role: String,
    /// Also accepted as `name`.
    #[serde(alias = "name")]
    #[schema(min_length = 1, max_length = 200)]
    label: String,
}

/// Create an API token
#[utoipa::path(
    tag = "tokens",
    operation_id = "createToken",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, shown once", body = TokenCreated),
        (status = 422, description = "`invalid_role`, `invalid_label`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/tokens")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewToken>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let role = match body.role.as_str() {
        ROLE_ADMIN => TokenRole::Admin,
        ROLE_HELPDESK => TokenRole::Helpdesk,
        _ => {
            return Err(
                ApiError::new(Code::InvalidRole, "role must be \"helpdesk\" or \"admin\"")
                    .with("field", "role"),
            )
        }
    };
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(
            ApiError::new(Code::InvalidLabel, "label must be 1 to 200 characters")
                .with("field", "label"),
        );
    }
    if label.starts_with(CONFIGURED_LABEL) {
        return Err(ApiError::new(
            Code::InvalidLabel,
            "this label is kept for the configured admin token",
        )
        .with("field", "label"));
    }
    let token = format!("ogt_{}", crate::ids::random_token(32));
    let id = crate::ids::token_id();
    state
        .store
        .create_token(&id, &crate::crypto::token_hash(&token), &body.role, label)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        TokenCreated {
            id,
            role,
            label: label.to_string(),
            token,
        },
    ))
}

/// List API tokens
#[utoipa::path(
    tag = "tokens",
    operation_id = "listTokens",
    responses(
        (status = 200, description = "Every valid token, the bootstrap or configured one included (never its value)", body = TokenList),
    ),
    security(("admin" = []))
)]
#[get("/v1/tokens")]
async fn list(_admin: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut items = state.store.list_tokens().await?;
    items.retain(|t| t.role != ROLE_RETIRED);
    Ok(json(StatusCode::OK, TokenList { items }))
}

/// Delete an API token
#[utoipa::path(
    tag = "tokens",
    operation_id = "deleteToken",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Deleted (a configured `admin.token` is retired: refused from then on, also after a restart)"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin_token`: no other admin token exists", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[delete("/v1/tokens/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<TokenId>,
) -> ApiResult<HttpResponse> {
    let tokens = state.store.list_tokens().await?;
    let Some(token) = tokens
        .iter()
        .find(|t| t.id == *id && t.role != ROLE_RETIRED)
    else {
        return Err(ApiError::not_found("token"));
    };
    let admins = tokens.iter().filter(|t| t.role == ROLE_ADMIN).count();
    if token.role == ROLE_ADMIN && admins <= 1 {
        return Err(ApiError::new(
            Code::LastAdminToken,
            "this is the last admin token; create another admin token before deleting it",
        ));
    }
    let configured = state.tokens.configured_hash.as_deref();
    match configured {
        Some(hash) if token.label == crate::http::configured_label(hash) => {
            // Kept as retired: the configuration would list it again at the next start.
            state
                .store
                .put_token(hash, ROLE_RETIRED, &token.label)
                .await?;
        }
        _ => state
            .store
            .delete_token(&id)
            .await
            .map_err(ApiError::store("token"))?,
    }
    Ok(HttpResponse::NoContent().finish())
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(create, list, remove))]
pub(crate) struct Doc;

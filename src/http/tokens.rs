//! `/v1/tokens`: API tokens for helpdesks (relay only) and further admins. A token's value is
//! shown once at creation; only its hash is stored.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Admin, ROLE_ADMIN, ROLE_HELPDESK};
use super::{json, ApiError, ApiResult, AppState};
use crate::store::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(list).service(remove);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    /// Also accepted as `scope`.
    #[serde(alias = "scope")]
    role: String,
    /// Also accepted as `name`.
    #[serde(alias = "name")]
    label: String,
}

#[post("/v1/tokens")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewToken>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    if body.role != ROLE_ADMIN && body.role != ROLE_HELPDESK {
        return Err(
            ApiError::invalid("invalid_role", "role must be \"helpdesk\" or \"admin\"")
                .with("field", "role"),
        );
    }
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(
            ApiError::invalid("invalid_label", "label must be 1 to 200 characters")
                .with("field", "label"),
        );
    }
    let token = format!("ogt_{}", crate::ids::random_token(32));
    let id = crate::ids::token_id();
    state
        .store
        .create_token(&id, &crate::crypto::token_hash(&token), &body.role, label)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        json!({"id": id, "role": body.role, "label": label, "token": token}),
    ))
}

#[get("/v1/tokens")]
async fn list(_admin: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(json(
        StatusCode::OK,
        json!({"items": state.store.list_tokens().await?}),
    ))
}

#[delete("/v1/tokens/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.store.delete_token(&id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("token"),
        other => other.into(),
    })?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/v1/deliveries`: what was sent where, what failed, and retrying dead letters.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::events::limit;
use super::{json, ApiError, ApiResult, AppState};
use crate::store::{DeliveryQuery, DeliveryStatus, StoreError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(show).service(retry);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    destination: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
}

#[get("/v1/deliveries")]
async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = limit(q.limit)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "status must be one of pending, failed, delivered, dead",
            )
        })?),
    };
    let items = state
        .store
        .list_deliveries(DeliveryQuery {
            destination: q.destination,
            status,
            after: q.after,
            limit,
        })
        .await?;
    let next = (items.len() == limit)
        .then(|| items.last().map(|d| d.id.clone()))
        .flatten();
    Ok(json(StatusCode::OK, json!({"items": items, "next": next})))
}

#[get("/v1/deliveries/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = state
        .store
        .get_delivery(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery"))?;
    Ok(json(StatusCode::OK, json!(d)))
}

#[post("/v1/deliveries/{id}/retry")]
async fn retry(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = state.store.retry_delivery(&id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("delivery"),
        StoreError::Conflict(detail) => {
            ApiError::new(StatusCode::CONFLICT, "delivery_queued", detail)
        }
        other => other.into(),
    })?;
    Ok(json(StatusCode::ACCEPTED, json!(d)))
}

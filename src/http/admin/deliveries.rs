//! `/v1/deliveries`: what was sent where, what failed, and retrying dead letters.

use crate::domain::ids::DeliveryId;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::events::limit;
use crate::error::Code;
use crate::error::Problem;
use crate::http::middleware::auth::Admin;
use crate::http::views::DeliveryPage;
use crate::http::{json, ApiError, ApiResult, AppState};
use crate::store::{Delivery, DeliveryQuery, DeliveryStatus};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(show).service(retry);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only this destination's deliveries.
    destination: Option<String>,
    /// `pending`, `failed`, `delivered` or `dead`.
    #[param(value_type = Option<DeliveryStatus>)]
    status: Option<String>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// List deliveries (e.g. the dead letters)
#[utoipa::path(
    tag = "deliveries",
    operation_id = "listDeliveries",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 400, description = "`invalid_query`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []))
)]
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
            ApiError::new(
                Code::InvalidQuery,
                "status must be one of pending, failed, delivered, dead",
            )
        })?),
    };
    let items = state
        .store
        .list_deliveries(DeliveryQuery {
            destination: q.destination.map(Into::into),
            status,
            after: q.after.map(Into::into),
            limit,
        })
        .await?;
    let next = (items.len() == limit)
        .then(|| items.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(json(StatusCode::OK, DeliveryPage { items, next }))
}

/// Show a delivery
#[utoipa::path(
    tag = "deliveries",
    operation_id = "getDelivery",
    params(("id" = String, Path, description = "The delivery's id")),
    responses(
        (status = 200, description = "The delivery", body = Delivery),
    ),
    security(("admin" = []))
)]
#[get("/v1/deliveries/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DeliveryId>,
) -> ApiResult<HttpResponse> {
    let d = state
        .store
        .get_delivery(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery"))?;
    Ok(json(StatusCode::OK, d))
}

/// Retry a dead (or delivered) delivery
#[utoipa::path(
    tag = "deliveries",
    operation_id = "retryDelivery",
    params(("id" = String, Path, description = "The delivery's id")),
    responses(
        (status = 202, description = "Queued again", body = Delivery),
        (status = 409, description = "`delivery_queued`: it is still queued", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/deliveries/{id}/retry")]
async fn retry(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DeliveryId>,
) -> ApiResult<HttpResponse> {
    let d = state
        .store
        .retry_delivery(&id)
        .await
        .map_err(ApiError::store("delivery"))?;
    Ok(json(StatusCode::ACCEPTED, d))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, show, retry))]
pub(crate) struct Doc;

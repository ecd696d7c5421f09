//! `/v1/events`: the stored events, each as the envelope the helpdesk receives.

use crate::domain::ids::EventId;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::error::Code;
use crate::error::Problem;
use crate::http::middleware::auth::Relayer;
use crate::http::views::{EventPage, EventView};
use crate::http::{json, ApiError, ApiResult, AppState};
use crate::store::EventQuery;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(show);
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only this channel's events.
    channel: Option<String>,
    /// Only this conversation's events.
    conversation: Option<String>,
    /// Only this event type, e.g. `message.received`.
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
    /// Add the provider's original body as `data.raw`.
    #[serde(default)]
    include_raw: bool,
}

pub fn limit(requested: Option<usize>) -> ApiResult<usize> {
    match requested.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::new(
            Code::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// Refuses an event type filter that names no event type.
pub fn event_type(filter: Option<&str>) -> ApiResult<()> {
    match filter {
        Some(t) if omnigate_connector_core::EventType::parse(t).is_none() => Err(ApiError::new(
            Code::InvalidQuery,
            format!("\"{t}\" is not an event type"),
        )),
        _ => Ok(()),
    }
}

/// The sequence number of the event a cursor names (`None` for no cursor).
pub async fn after_seq(state: &AppState, cursor: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(cursor) = cursor.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let event = state
        .store
        .get_event(&cursor.into())
        .await?
        .ok_or_else(|| {
            ApiError::new(
                Code::InvalidCursor,
                "after must be an event id this gateway gave out",
            )
        })?;
    Ok(Some(event.seq))
}

/// List stored events
#[utoipa::path(
    tag = "events",
    operation_id = "listEvents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of events, oldest first", body = EventPage),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[get("/v1/events")]
async fn list(
    _caller: Relayer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = limit(q.limit)?;
    event_type(q.event_type.as_deref())?;
    let after_seq = after_seq(&state, q.after.as_deref()).await?;
    let events = state
        .store
        .list_events(EventQuery {
            channel: q.channel.map(Into::into),
            conversation: q.conversation.map(Into::into),
            event_type: q.event_type,
            after_seq,
            limit,
        })
        .await?;
    let next = (events.len() == limit)
        .then(|| events.last().map(|e| e.id.to_string()))
        .flatten();
    let items = events
        .iter()
        .map(|e| EventView::new(e, q.include_raw))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(json(StatusCode::OK, EventPage { items, next }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ShowQuery {
    /// Add the provider's original body as `data.raw`.
    #[serde(default)]
    include_raw: bool,
}

/// Show an event
#[utoipa::path(
    tag = "events",
    operation_id = "getEvent",
    params(("id" = String, Path, description = "The event's id"), ShowQuery),
    responses(
        (status = 200, description = "The event as the helpdesk receives it", body = EventView),
        (status = 400, description = "`invalid_query`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[get("/v1/events/{id}")]
async fn show(
    _caller: Relayer,
    state: web::Data<AppState>,
    id: web::Path<EventId>,
    q: web::Query<ShowQuery>,
) -> ApiResult<HttpResponse> {
    let e = state
        .store
        .get_event(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    Ok(json(StatusCode::OK, EventView::new(&e, q.include_raw)?))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, show))]
pub(crate) struct Doc;

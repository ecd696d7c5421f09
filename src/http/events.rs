//! `/v1/events`: the stored events, each as the envelope the helpdesk receives.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Relayer;
use super::{json, views, ApiError, ApiResult, AppState};
use crate::store::EventQuery;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(show);
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    channel: Option<String>,
    conversation: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
    #[serde(default)]
    include_raw: bool,
}

pub fn limit(requested: Option<usize>) -> ApiResult<usize> {
    match requested.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

#[get("/v1/events")]
async fn list(
    _caller: Relayer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = limit(q.limit)?;
    if let Some(t) = &q.event_type {
        if omnigate_connector_core::EventType::parse(t).is_none() {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("\"{t}\" is not an event type"),
            ));
        }
    }
    let after_seq = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(cursor) => Some(
            state
                .store
                .get_event(cursor)
                .await?
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_cursor",
                        "after must be an event id from a previous page",
                    )
                })?
                .seq,
        ),
    };
    let events = state
        .store
        .list_events(EventQuery {
            channel: q.channel,
            conversation: q.conversation,
            event_type: q.event_type,
            after_seq,
            limit,
        })
        .await?;
    let next = (events.len() == limit)
        .then(|| events.last().map(|e| e.id.clone()))
        .flatten();
    let items: Vec<Value> = events
        .iter()
        .map(|e| views::event(e, q.include_raw))
        .collect();
    Ok(json(StatusCode::OK, json!({"items": items, "next": next})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowQuery {
    #[serde(default)]
    include_raw: bool,
}

#[get("/v1/events/{id}")]
async fn show(
    _caller: Relayer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> ApiResult<HttpResponse> {
    let e = state
        .store
        .get_event(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    Ok(json(StatusCode::OK, views::event(&e, q.include_raw)))
}

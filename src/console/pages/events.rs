//! Events: the live view (new events as they are stored, through `GET /v1/events/stream`) and
//! one event's envelope and the provider's original body.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use omnigate_connector_core::EventType;
use serde::Deserialize;

use crate::console::page::{query, render, viewer, Layout};
use crate::domain::ids::EventId;
use crate::http::views::EventView;
use crate::http::{ApiError, ApiResult, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(live).service(show);
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    conversation: String,
    #[serde(default, rename = "type")]
    event_type: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct Live {
    l: Layout,
    f: Filters,
    types: Vec<&'static str>,
    /// The stream this page follows, with its filters.
    stream: String,
}

#[get("/console/events")]
async fn live(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let viewer = match viewer(&req, &state).await {
        Ok(v) => v,
        Err(to_sign_in) => return to_sign_in,
    };
    let f: Filters = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let types: Vec<&'static str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    let mut pairs = Vec::new();
    for (key, value) in [
        ("channel", f.channel.trim()),
        ("conversation", f.conversation.trim()),
        ("type", f.event_type.trim()),
    ] {
        let known_type = key != "type" || types.contains(&value);
        if !value.is_empty() && known_type {
            pairs.push((key, value));
        }
    }
    let stream = format!("/v1/events/stream?{}", query(&pairs));
    let page = Live {
        l: Layout::new(&req, Some(&viewer), "events", "events.title"),
        f,
        types,
        stream,
    };
    render(&page.l, &page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "event.html")]
struct Show {
    l: Layout,
    id: String,
    kind: String,
    envelope: String,
    raw: Option<String>,
}

#[get("/console/events/{id}")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<EventId>,
) -> ApiResult<HttpResponse> {
    let viewer = match viewer(&req, &state).await {
        Ok(v) => v,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let event = state
        .store
        .get_event(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    let view = EventView::new(&event, false)?;
    let envelope = serde_json::to_string_pretty(&view).map_err(ApiError::internal)?;
    let raw = event.raw.as_deref().map(|raw| {
        // Pretty when it is JSON, as sent otherwise.
        serde_json::from_slice::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| String::from_utf8_lossy(raw).into_owned())
    });
    let page = Show {
        l: Layout::new(&req, Some(&viewer), "events", "event.title"),
        id: event.id.to_string(),
        kind: view.kind.clone(),
        envelope,
        raw,
    };
    Ok(render(&page.l, &page, StatusCode::OK))
}

//! `GET /v1/events/stream`: new events as server-sent events, for the console's live view and
//! `omnigate events tail`. It reads the event log after the newest event it has sent, so every
//! replica sharing a store streams every event, whichever replica took the webhook; a client
//! that reconnects with `Last-Event-ID` resumes where it left off.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::events::{after_seq, event_type};
use crate::error::Problem;
use crate::http::middleware::auth::Relayer;
use crate::http::middleware::slow_clients::Open;
use crate::http::views::EventView;
use crate::http::{ApiResult, AppState};
use crate::store::{EventQuery, Store, StoredEvent};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(stream);
}

/// How often an idle stream looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// An idle stream sends a comment this often, so proxies keep it open and a closed client is
/// noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Events read from the store at once.
const BATCH: usize = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    /// Only this channel's events.
    channel: Option<String>,
    /// Only this conversation's events.
    conversation: Option<String>,
    /// Only this event type, e.g. `message.received`.
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// Start after this event (an event id); without it (and without `Last-Event-ID`) the
    /// stream starts with the next event stored.
    after: Option<String>,
    /// Add the provider's original body as `data.raw`.
    #[serde(default)]
    include_raw: bool,
}

/// Follow new events
///
/// A `text/event-stream`: one message per stored event, `id:` its event id and `data:` the
/// envelope as `GET /v1/events/{id}` answers it; a `: keep-alive` comment every 5 s while
/// nothing happens. A client that reconnects with `Last-Event-ID` (browsers' `EventSource`
/// does) gets what was stored since. Each open stream counts as an open request of its source
/// address (`server.max_requests_per_source`).
#[utoipa::path(
    tag = "events",
    operation_id = "streamEvents",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id (wins over `after`)"),
    ),
    responses(
        (status = 200, description = "Server-sent events, one per stored event", content_type = "text/event-stream", body = String),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []), ("helpdesk" = []))
)]
#[get("/v1/events/stream")]
async fn stream(
    _caller: Relayer,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    event_type(q.event_type.as_deref())?;
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.after);
    let start = match after_seq(&state, resume.as_deref()).await? {
        Some(seq) => seq,
        None => state.store.last_event_seq().await?,
    };
    let follower = Follower {
        store: state.store.clone(),
        query: EventQuery {
            channel: q.channel.map(Into::into),
            conversation: q.conversation.map(Into::into),
            event_type: q.event_type,
            after_seq: Some(start),
            limit: BATCH,
        },
        include_raw: q.include_raw,
        ready: VecDeque::new(),
        open: req.extensions_mut().remove::<Open>(),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Proxies that buffer (nginx) would hold the events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(follower, Follower::next)))
}

/// The state of one open stream.
struct Follower {
    store: std::sync::Arc<dyn Store>,
    query: EventQuery,
    include_raw: bool,
    ready: VecDeque<StoredEvent>,
    /// This stream's place among its source's open requests.
    #[allow(dead_code)]
    open: Option<Open>,
}

impl Follower {
    /// The next chunk: an event, or a keep-alive comment; ends the stream when the store fails.
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Follower)> {
        let idle_since = tokio::time::Instant::now();
        loop {
            if let Some(event) = self.ready.pop_front() {
                match message(&event, self.include_raw) {
                    Some(chunk) => return Some((Ok(Bytes::from(chunk)), self)),
                    None => continue,
                }
            }
            if idle_since.elapsed() >= KEEP_ALIVE {
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self));
            }
            match self.store.list_events(self.query.clone()).await {
                Ok(found) if found.is_empty() => tokio::time::sleep(POLL).await,
                Ok(found) => {
                    self.query.after_seq = found.last().map(|e| e.seq);
                    self.ready.extend(found);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "an event stream ends: the store failed");
                    return None;
                }
            }
        }
    }
}

/// One server-sent event: `id:` the event id, `data:` its envelope on one line (JSON has no
/// raw line breaks). `None` for a stored event that is not an envelope (logged, skipped).
fn message(event: &StoredEvent, include_raw: bool) -> Option<String> {
    let view = EventView::new(event, include_raw).ok()?;
    let data = serde_json::to_string(&view).ok()?;
    Some(format!("id: {}\ndata: {data}\n\n", event.id))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(stream))]
pub(crate) struct Doc;

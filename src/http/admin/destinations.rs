//! `/v1/destinations`: helpdesk endpoints that receive signed webhooks, and replays to them.

use crate::domain::ids::{ChannelId, DestinationId};
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{OpenApi, ToSchema};

use super::paging::{self, PageQuery};
use crate::domain::destination::{
    validate_event_type_filter, Destination, DestinationPatch, FieldError,
};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::time::Timestamp;
use crate::error::Code;
use crate::error::Problem;
use crate::http::middleware::auth::Admin;
use crate::http::views::{DestinationList, DestinationView, ReplayResult};
use crate::http::{json, ApiError, ApiResult, AppState};
use crate::kinds::{self, Kind, KindFields};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(remove)
        .service(replay)
        .service(rotate_callback_secret);
}

fn default_types() -> Vec<String> {
    vec!["*".into()]
}

/// The fields every destination has, and those of its kind (flattened). A `webhook`
/// destination needs `url`; a `chatwoot` one `base_url`, `account_id`, `inbox_id`,
/// `api_access_token` and `inbox_secret` (or `allow_unsigned_callbacks: true`).
#[derive(Deserialize, ToSchema)]
struct NewDestination {
    /// `webhook` (the default), `chatwoot`, `nats`, `redis_stream` or `amqp`.
    #[serde(default)]
    #[schema(example = "webhook")]
    kind: Option<String>,
    /// `*`, an event type, or a prefix such as `message.*`.
    #[serde(default = "default_types")]
    event_types: Vec<String>,
    /// Only these channels; empty means all.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    channels: Vec<ChannelId>,
    #[serde(default)]
    include_raw: bool,
    /// The kind's own fields.
    #[serde(flatten)]
    #[schema(inline, value_type = KindFields)]
    fields: Map<String, Value>,
}

/// Fields to change; absent ones stay. `inbox_secret: null` removes the secret.
#[derive(Deserialize, ToSchema)]
struct DestinationUpdate {
    event_types: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<String>>)]
    channels: Option<Vec<ChannelId>>,
    include_raw: Option<bool>,
    /// `false` stops sending to the destination.
    enabled: Option<bool>,
    /// The kind's own fields.
    #[serde(flatten)]
    #[schema(inline, value_type = KindFields)]
    fields: Map<String, Value>,
}

fn not_applicable(field: &str, kind: &str) -> ApiError {
    ApiError::new(
        Code::FieldNotApplicable,
        format!("{field} does not apply to a {kind} destination"),
    )
    .with("field", field.to_string())
}

/// A kind's refusal of one of its fields, as a problem.
fn field_problem(e: FieldError) -> ApiError {
    ApiError::new(e.code, e.detail).with("field", e.field)
}

/// The body's kind fields, all of them `kind`'s: a field of another kind does not apply, and
/// one no kind takes is not part of the API.
fn own_fields(kind: &dyn Kind, fields: &Map<String, Value>) -> ApiResult<()> {
    if let Some(unknown) = fields.keys().find(|f| kinds::owner_of(f).is_none()) {
        return Err(ApiError::new(
            Code::InvalidBody,
            format!("unknown field `{unknown}`"),
        ));
    }
    let given = |(f, v): &(&String, &Value)| {
        !v.is_null()
            || kinds::owner_of(f).is_some_and(|k| k.nullable_fields().contains(&f.as_str()))
    };
    match fields
        .iter()
        .filter(given)
        .map(|(f, _)| f)
        .find(|f| !kind.fields().contains(&f.as_str()))
    {
        Some(field) => Err(not_applicable(field, kind.name())),
        None => Ok(()),
    }
}

/// An RFC 3339 range of stored events; `until` defaults to now.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    #[schema(format = DateTime, example = "2026-11-22T00:00:00Z")]
    since: String,
    #[schema(format = DateTime)]
    until: Option<String>,
}

fn valid_types(types: &[String]) -> ApiResult<()> {
    if types.is_empty() {
        return Err(ApiError::new(
            Code::InvalidEventTypes,
            "event_types needs at least one entry (\"*\" for all)",
        )
        .with("field", "event_types"));
    }
    for t in types {
        validate_event_type_filter(t).map_err(|e| {
            ApiError::new(Code::InvalidEventTypes, e.0).with("field", "event_types")
        })?;
    }
    Ok(())
}

async fn valid_channels(state: &AppState, channels: &[ChannelId]) -> ApiResult<()> {
    for id in channels {
        if state.store.get_channel(id).await?.is_none() {
            return Err(
                ApiError::new(Code::UnknownChannel, format!("no channel {id}"))
                    .with("field", "channels"),
            );
        }
    }
    Ok(())
}

fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Register a destination
#[utoipa::path(
    tag = "destinations",
    operation_id = "createDestination",
    request_body = NewDestination,
    responses(
        (status = 201, description = "Registered; a webhook destination's `secret` is shown only here, a Chatwoot one has its `callback_url`", body = DestinationView),
        (status = 422, description = "`invalid_url`, `url_has_credentials`, `url_not_allowed`, `invalid_event_types`, `unknown_channel`, `invalid_kind`, `field_not_applicable`, `invalid_base_url`, `invalid_account_id`, `invalid_inbox_id`, `invalid_api_access_token`, `invalid_inbox_secret`, `invalid_allow_unsigned_callbacks`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`public_url_required`: a Chatwoot callback URL would be on an unspecified address", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/destinations")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewDestination>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let name = body.kind.as_deref().unwrap_or(kinds::DEFAULT);
    let kind = kinds::by_name(name).ok_or_else(|| {
        let names = kinds::names()
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        ApiError::new(
            Code::InvalidKind,
            format!("kind must be {names}, not \"{name}\""),
        )
        .with("field", "kind")
    })?;
    own_fields(kind, &body.fields)?;
    let made = kind.create(&body.fields).map_err(field_problem)?;
    valid_types(&body.event_types)?;
    valid_channels(&state, &body.channels).await?;
    crate::http::middleware::guard::outbound_allowed(&state, &made.url, made.target_field).await?;
    if kind.has_callback() {
        crate::http::urls_reachable(&state)?;
    }
    let now = Timestamp::now();
    let secret = SecretString::from(new_secret());
    let dest = Destination {
        kind: made.kind,
        id: crate::ids::destination_id(),
        url: made.url,
        secret: secret.clone(),
        event_types: body.event_types,
        channels: body.channels,
        include_raw: body.include_raw,
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    let stored = state.store.create_destination(dest).await?;
    let mut view = DestinationView::new(&stored, &state.settings.server.public_base());
    if kind.shows_signing_secret() {
        // Shown once: it is stored encrypted and never returned again.
        view.secret = Some(secret.expose_secret().to_string());
    }
    Ok(json(StatusCode::CREATED, view))
}

/// List destinations
#[utoipa::path(
    tag = "destinations",
    operation_id = "listDestinations",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of destinations, oldest first (never a secret)", body = DestinationList),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin" = []))
)]
#[get("/v1/destinations")]
async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit()?;
    let page = state
        .store
        .list_destinations_page(q.after(), limit)
        .await
        .map_err(paging::cursor_error)?;
    let next = paging::next(&page, limit, |d| &d.id);
    let items = page
        .iter()
        .map(|d| DestinationView::new(d, &state.settings.server.public_base()))
        .collect();
    Ok(json(StatusCode::OK, DestinationList { items, next }))
}

/// Show a destination
#[utoipa::path(
    tag = "destinations",
    operation_id = "getDestination",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "The destination", body = DestinationView),
    ),
    security(("admin" = []))
)]
#[get("/v1/destinations/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
) -> ApiResult<HttpResponse> {
    let d = state
        .store
        .get_destination(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination"))?;
    let mut view = DestinationView::new(&d, &state.settings.server.public_base());
    view.circuit_open = Some(state.breakers.is_open(&d.id));
    Ok(json(StatusCode::OK, view))
}

/// Change or disable a destination
#[utoipa::path(
    tag = "destinations",
    operation_id = "updateDestination",
    params(("id" = String, Path, description = "The destination's id")),
    request_body = DestinationUpdate,
    responses(
        (status = 200, description = "The changed destination; when this enabled it, `missed_while_disabled` says how many events arrived meanwhile and the replay that sends them", body = UpdatedDestination),
        (status = 422, description = "`invalid_url`, `url_has_credentials`, `url_not_allowed`, `invalid_event_types`, `unknown_channel`, `invalid_kind`, `field_not_applicable`, `invalid_base_url`, `invalid_account_id`, `invalid_inbox_id`, `invalid_api_access_token`, `invalid_inbox_secret`, `invalid_allow_unsigned_callbacks`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[patch("/v1/destinations/{id}")]
async fn update(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
    body: web::Json<DestinationUpdate>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let current = state
        .store
        .get_destination(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination"))?;
    let kind = kinds::of(&current);
    own_fields(kind, &body.fields)?;
    let made = kind
        .update(&current.kind, &body.fields)
        .map_err(field_problem)?;
    if let Some(made) = &made {
        crate::http::middleware::guard::outbound_allowed(&state, &made.url, made.target_field)
            .await?;
    }
    if let Some(types) = &body.event_types {
        valid_types(types)?;
    }
    if let Some(channels) = &body.channels {
        valid_channels(&state, channels).await?;
    }
    let (url, kind) = match made {
        Some(made) => (Some(made.url), Some(made.kind)),
        None => (None, None),
    };
    let patch = DestinationPatch {
        url,
        event_types: body.event_types,
        channels: body.channels,
        include_raw: body.include_raw,
        enabled: body.enabled,
        kind,
    };
    let d = state
        .store
        .update_destination(&id, patch)
        .await
        .map_err(ApiError::store("destination"))?;
    let missed_while_disabled = match (current.disabled_at, d.enabled) {
        (Some(since), true) => Some(missed(&state, &d.id, since).await?),
        _ => None,
    };
    Ok(json(
        StatusCode::OK,
        UpdatedDestination {
            destination: DestinationView::new(&d, &state.settings.server.public_base()),
            missed_while_disabled,
        },
    ))
}

/// A destination as changed; when the change enabled it, what arrived while it was disabled.
#[derive(Serialize, ToSchema)]
struct UpdatedDestination {
    #[serde(flatten)]
    destination: DestinationView,
    /// Only in the answer that enables a disabled destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    missed_while_disabled: Option<Missed>,
}

/// The events that arrived while a destination was disabled, which it did not receive.
#[derive(Serialize, ToSchema)]
struct Missed {
    /// When it was disabled.
    since: Timestamp,
    /// When it was enabled again.
    until: Timestamp,
    /// How many stored events its filters take arrived in between.
    events: u64,
    /// The call that sends them: `POST {path}` with `body`.
    replay: ReplayCall,
}

#[derive(Serialize, ToSchema)]
struct ReplayCall {
    #[schema(example = "POST")]
    method: &'static str,
    #[schema(example = "/v1/destinations/dst_.../replay")]
    path: String,
    #[schema(value_type = Object)]
    body: Value,
}

/// Counts what arrived for `id` from `since` until now (it was just enabled).
async fn missed(state: &AppState, id: &DestinationId, since: Timestamp) -> ApiResult<Missed> {
    let until = Timestamp::now();
    let events = state
        .store
        .count_replay(id, since, until)
        .await
        .map_err(ApiError::store("destination"))?;
    Ok(Missed {
        since,
        until,
        events,
        replay: ReplayCall {
            method: "POST",
            path: format!("/v1/destinations/{id}/replay"),
            body: serde_json::json!({"since": since, "until": until}),
        },
    })
}

/// Delete a destination
#[utoipa::path(
    tag = "destinations",
    operation_id = "deleteDestination",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 204, description = "Deleted; its queued deliveries are dead"),
    ),
    security(("admin" = []))
)]
#[delete("/v1/destinations/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
) -> ApiResult<HttpResponse> {
    state
        .store
        .delete_destination(&id)
        .await
        .map_err(ApiError::store("destination"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replay a time range to a destination
#[utoipa::path(
    tag = "destinations",
    operation_id = "replayDestination",
    params(("id" = String, Path, description = "The destination's id")),
    request_body = ReplayRequest,
    responses(
        (status = 202, description = "The events in the range are queued again", body = ReplayResult),
        (status = 409, description = "`destination_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_time_range`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/destinations/{id}/replay")]
async fn replay(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
    body: web::Json<ReplayRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let parse = |field: &'static str, s: &str| {
        Timestamp::parse_rfc3339(s).ok_or_else(|| {
            ApiError::new(
                Code::InvalidTimeRange,
                format!("{field} must be an RFC 3339 time such as 2026-11-22T03:00:00Z"),
            )
            .with("field", field)
        })
    };
    let since_t = parse("since", &body.since)?;
    let until_t = match &body.until {
        Some(until) => parse("until", until)?,
        None => Timestamp::now(),
    };
    if since_t >= until_t {
        return Err(ApiError::new(
            Code::InvalidTimeRange,
            "since must be before until",
        ));
    }
    let queued = state
        .store
        .replay(&id, since_t, until_t)
        .await
        .map_err(ApiError::store("destination"))?;
    Ok(json(
        StatusCode::ACCEPTED,
        ReplayResult {
            destination_id: id.into_inner(),
            queued,
            until: body.until.unwrap_or_else(|| until_t.rfc3339()),
            since: body.since,
        },
    ))
}

/// Rotate a Chatwoot destination's callback secret
#[utoipa::path(
    tag = "destinations",
    operation_id = "rotateDestinationCallbackSecret",
    description = "Gives a `chatwoot` destination a new callback secret and answers its new `callback_url`; the old URL is refused (404) from then on, so paste the new one into the Chatwoot inbox's webhook URL right away.",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "The destination with its new `callback_url`", body = DestinationView),
        (status = 409, description = "`callback_not_supported`: not a `chatwoot` destination; `public_url_required`: the callback URL would be on an unspecified address", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/destinations/{id}/rotate-callback-secret")]
async fn rotate_callback_secret(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
) -> ApiResult<HttpResponse> {
    let current = state
        .store
        .get_destination(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination"))?;
    let rotated = kinds::of(&current)
        .rotate_callback_secret(&current.kind)
        .ok_or_else(|| {
            ApiError::new(
                Code::CallbackNotSupported,
                "only a chatwoot destination has a callback URL",
            )
        })?;
    crate::http::urls_reachable(&state)?;
    let patch = DestinationPatch {
        kind: Some(rotated),
        ..Default::default()
    };
    let updated = state
        .store
        .update_destination(&id, patch)
        .await
        .map_err(ApiError::store("destination"))?;
    tracing::info!(destination = %updated.id, "callback secret rotated");
    Ok(json(
        StatusCode::OK,
        DestinationView::new(&updated, &state.settings.server.public_base()),
    ))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(create, list, show, update, remove, replay, rotate_callback_secret))]
pub(crate) struct Doc;

//! `POST /v1/destinations/{id}/test`: one signed test event, sent now, and what the destination
//! answered, so a new destination (or a silent one) can be checked without waiting for traffic.

use crate::domain::ids::{DestinationId, EventId};
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::{OpenApi, ToSchema};

use crate::error::Code;
use crate::error::Problem;
use crate::forwarder::webhook::send_test;
use crate::http::middleware::auth::Admin;
use crate::http::{json, ApiError, ApiResult, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(test);
}

/// The event type of a test event: never stored, never matched by a destination's filter.
pub const TEST_EVENT_TYPE: &str = "destination.test";

/// What the destination answered to the test event.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    #[schema(value_type = String)]
    pub destination_id: DestinationId,
    /// The `webhook-id` the test event was signed with.
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// Whether it answered 2xx.
    pub delivered: bool,
    /// Its HTTP status; `null` when it could not be reached.
    pub status: Option<u16>,
    /// Why it was not delivered (`connect_failed: ...`, `http_401: Unauthorized`), or `null`.
    pub error: Option<String>,
    /// The start of its answer's body (at most 2 KiB).
    pub response_body: String,
    pub duration_ms: u64,
}

/// Send a signed test event to a destination
///
/// The event (`type: destination.test`) is signed with the destination's secret like every
/// delivery, sent once now, and not stored; a disabled destination is tested too. The answer
/// is 200 whatever the destination said: read `delivered`, `status` and `error`.
#[utoipa::path(
    tag = "destinations",
    operation_id = "testDestination",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "What the destination answered", body = TestResult),
        (status = 409, description = "`test_not_supported`: a Chatwoot destination", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/destinations/{id}/test")]
async fn test(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<DestinationId>,
) -> ApiResult<HttpResponse> {
    let dest = state
        .store
        .get_destination(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination"))?;
    if !crate::kinds::of(&dest).takes_test_events() {
        return Err(ApiError::new(
            Code::TestNotSupported,
            "a Chatwoot destination takes conversations, not test events; send a webhook to a \
             channel instead",
        ));
    }
    let event_id = crate::ids::event_id();
    let envelope = json!({
        "type": TEST_EVENT_TYPE,
        "timestamp": crate::domain::time::Timestamp::now(),
        "data": {
            "event_id": event_id,
            "destination": {"id": dest.id},
            "message": "a test event from omnigate: the signature verifies with this destination's secret",
        },
    });
    let reply = send_test(
        &state.helpdesk_client,
        state.settings.delivery.request_timeout,
        &dest,
        &event_id,
        &envelope,
    )
    .await;
    Ok(json(
        StatusCode::OK,
        TestResult {
            destination_id: dest.id.clone(),
            event_id,
            delivered: reply.error.is_none(),
            status: reply.status_code,
            error: reply.error.map(|e| e.to_string()),
            response_body: reply.body,
            duration_ms: reply.duration.as_millis() as u64,
        },
    ))
}

/// This module's route in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(test))]
pub(crate) struct Doc;

//! Errors at the HTTP edge: RFC 9457 `application/problem+json` with a stable `code` (one of
//! [`Code`]). The client gets the code and a readable detail; the logs get the whole cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

pub use crate::error::Code;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub detail: String,
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A problem answered with the code's own status (422 for the one whose status depends on
    /// the failure: use [`ApiError::with_status`] for the other).
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        let status = code.status().unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        ApiError::with_status(status, code, detail)
    }

    pub fn with_status(status: StatusCode, code: Code, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// 404 `not_found` naming what is missing.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(Code::NotFound, format!("no such {what}"))
    }

    /// A store error about one `what` (a channel, a destination, ...): a missing one is named.
    pub fn store(what: &'static str) -> impl Fn(StoreError) -> ApiError {
        move |e| match e {
            StoreError::NotFound => ApiError::not_found(what),
            other => other.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            Code::Internal,
            "an internal error occurred; see the gateway's logs",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let code = self.code.as_str();
        let mut body = json!({
            "type": format!("https://omnigate.dev/problems/{}", code.replace('_', "-")),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "code": code,
            "detail": self.detail,
        });
        if let Some(obj) = body.as_object_mut() {
            obj.extend(self.extra.clone());
        }
        crate::telemetry::problem(self.status.as_u16(), code);
        let mut resp = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            resp.insert_header(("Retry-After", seconds.to_string()));
        }
        resp.content_type("application/problem+json");
        if self.status == StatusCode::UNAUTHORIZED {
            resp.insert_header(("WWW-Authenticate", "Bearer"));
        }
        resp.body(body.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("resource"),
            StoreError::InvalidTransition { from, transition } => ApiError::new(
                Code::InvalidTransition,
                format!("cannot {transition} a channel that is {from}"),
            )
            .with("state", from),
            StoreError::ChannelApproved => ApiError::new(Code::ChannelActive, e.to_string()),
            StoreError::DeliveryQueued => ApiError::new(Code::DeliveryQueued, e.to_string()),
            StoreError::DestinationDisabled => {
                ApiError::new(Code::DestinationDisabled, e.to_string())
            }
            StoreError::LeaseLost | StoreError::Busy => {
                ApiError::new(Code::Conflict, e.to_string())
            }
            StoreError::Closed => ApiError::new(Code::ShuttingDown, "the gateway is shutting down"),
            StoreError::Internal(cause) => {
                tracing::error!(error = ?cause, "store error");
                ApiError::new(
                    Code::StoreUnavailable,
                    "the store could not complete the request; see the gateway's logs",
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

//! Every stable error code the gateway answers with, in one closed list. A problem's `code` is
//! what clients branch on, so a code is added here (with its status and meaning) or not at all;
//! README's list and the OpenAPI document's description of problems are generated from it.
//! [`ApiError`] is how every failure leaves the gateway: `application/problem+json` (RFC 9457)
//! with one of these codes; the client gets the code and a readable detail, the logs get the
//! whole cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use omnigate_connector_core::VerifyError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::store::StoreError;

macro_rules! codes {
    ($($variant:ident = $text:literal, $status:expr, $meaning:literal;)*) => {
        /// A stable, machine-readable problem code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
            /// A reply the provider's rules refuse before anything is sent (`text_too_long`,
            /// `empty_text`, ...): the connector names the rule; always 422.
            Reply(&'static str),
        }

        impl Code {
            /// Every code with a fixed name (a connector's reply codes are its own).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                    Code::Reply(code) => code,
                }
            }

            /// The status this code is always answered with; `None` where it depends on the
            /// failure (see [`Code::meaning`]).
            pub fn status(self) -> Option<StatusCode> {
                let status: Option<u16> = match self {
                    $(Code::$variant => $status,)*
                    Code::Reply(_) => Some(422),
                };
                status.and_then(|s| StatusCode::from_u16(s).ok())
            }

            /// What the code means, as README and the OpenAPI document say it.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                    Code::Reply(_) => "a reply the provider's rules refuse (the connector names the rule)",
                }
            }
        }
    };
}

codes! {
    Unauthorized = "unauthorized", Some(401), "no bearer token, or not a valid one";
    Forbidden = "forbidden", Some(403), "this token's role may not do this";
    CsrfRejected = "csrf_rejected", Some(403), "a change made with a console session came without the page's CSRF token, or from another site";
    NotFound = "not_found", Some(404), "no such resource, or no such route";
    InvalidJson = "invalid_json", Some(400), "the body is not JSON";
    InvalidBody = "invalid_body", None, "the JSON does not have the expected shape (422), or could not be read as JSON at all (400)";
    InvalidQuery = "invalid_query", Some(400), "a query parameter is malformed";
    InvalidPath = "invalid_path", Some(400), "a path parameter is malformed";
    InvalidCursor = "invalid_cursor", Some(400), "the `after` cursor is not one this gateway gave out";
    InvalidIdempotencyKey = "invalid_idempotency_key", Some(400), "the `Idempotency-Key` header is empty or too long";
    BodyUnreadable = "body_unreadable", Some(400), "the request body could not be read";
    BodyTooLarge = "body_too_large", Some(413), "the body is larger than the limit";
    BodyTimeout = "body_timeout", Some(408), "the body did not arrive within `server.body_read_timeout`";
    UnsupportedMediaType = "unsupported_media_type", Some(415), "the body must be sent as `application/json`";
    RateLimited = "rate_limited", Some(429), "over the webhook URL's or token's rate, too many failed authentications or open requests from this address (`Retry-After`)";
    HeadersTooLarge = "headers_too_large", Some(431), "the request headers are too large";
    UnknownWebhookKey = "unknown_webhook_key", Some(404), "no channel takes webhooks at this URL, or it is not `pending`/`approved`";
    SignatureMissing = "signature_missing", Some(401), "the provider's or helpdesk's signature is missing";
    SignatureInvalid = "signature_invalid", Some(401), "the signature does not match";
    TimestampOutOfWindow = "timestamp_out_of_window", Some(401), "the signed timestamp is outside the accepted window";
    SourceNotAllowed = "source_not_allowed", Some(403), "the webhook came from an address the provider does not send from";
    UnknownProvider = "unknown_provider", Some(422), "no connector for this provider";
    InvalidName = "invalid_name", Some(422), "the name must be 1 to 200 characters";
    InvalidCredentials = "invalid_credentials", Some(422), "a credential is missing or malformed (`field` names it)";
    InvalidSettings = "invalid_settings", Some(422), "a channel setting is malformed (`field` names it)";
    InvalidReason = "invalid_reason", Some(422), "the reason is too long";
    ReasonRequired = "reason_required", Some(422), "rejecting a channel needs a reason";
    InvalidTransition = "invalid_transition", Some(409), "the channel's state does not allow this transition (`state` says which it is in)";
    InvalidGrace = "invalid_grace", Some(422), "`grace_seconds` must be a whole number from 0 to 604800 (7 days)";
    ChannelActive = "channel_active", Some(409), "an approved channel cannot be deleted; revoke it first";
    InvalidUrl = "invalid_url", Some(422), "the URL is missing or not an http(s) URL with a host (for a stream destination: not a URL of its broker's scheme, e.g. `nats://`, `redis://`, `amqp://`)";
    UrlHasCredentials = "url_has_credentials", Some(422), "the URL holds a user name or password (`user:password@`); a webhook destination is authenticated by its signing secret, Chatwoot by its access token, a broker by the `username`, `password` or `token` fields";
    UrlNotAllowed = "url_not_allowed", Some(422), "the URL points at a private or local address";
    PublicUrlRequired = "public_url_required", Some(409), "`server.public_url` is unset and the gateway listens on an unspecified address (`0.0.0.0`, `::`), so the URL it would hand out reaches nobody; set `OMNIGATE__SERVER__PUBLIC_URL` and restart";
    InvalidEventTypes = "invalid_event_types", Some(422), "an event type pattern is malformed";
    UnknownChannel = "unknown_channel", Some(422), "a channel in `channels` does not exist";
    InvalidKind = "invalid_kind", Some(422), "the destination kind is not `webhook`, `chatwoot`, `nats`, `redis_stream` or `amqp`";
    FieldNotApplicable = "field_not_applicable", Some(422), "the field does not apply to this destination kind";
    InvalidBaseUrl = "invalid_base_url", Some(422), "Chatwoot: `base_url` is missing or malformed";
    InvalidAccountId = "invalid_account_id", Some(422), "Chatwoot: `account_id` is missing or not a positive integer";
    InvalidInboxId = "invalid_inbox_id", Some(422), "Chatwoot: `inbox_id` is missing or not a positive integer";
    InvalidApiAccessToken = "invalid_api_access_token", Some(422), "Chatwoot: `api_access_token` is missing or malformed";
    InvalidInboxSecret = "invalid_inbox_secret", Some(422), "Chatwoot: `inbox_secret` is malformed";
    InvalidAllowUnsignedCallbacks = "invalid_allow_unsigned_callbacks", Some(422), "Chatwoot: `allow_unsigned_callbacks` is not a boolean, or is needed without an `inbox_secret`";
    InvalidTemplate = "invalid_template", Some(422), "a stream destination's `subject`, `stream_key` or `routing_key` template is empty, names an unknown placeholder, or is not valid for its broker";
    InvalidStream = "invalid_stream", Some(422), "NATS: `stream` is missing or not a JetStream stream name";
    InvalidExchange = "invalid_exchange", Some(422), "AMQP: `exchange` is not an exchange name";
    InvalidMaxLen = "invalid_max_len", Some(422), "Redis Streams: `max_len` is not a positive integer";
    InvalidBrokerCredentials = "invalid_broker_credentials", Some(422), "a broker's `username`, `password` or `token` is malformed, or given without the field it goes with (`field` names it)";
    InvalidTimeRange = "invalid_time_range", Some(422), "`since`/`until` are not RFC 3339 times, or `until` is before `since`";
    CallbackNotSupported = "callback_not_supported", Some(409), "only a chatwoot destination has a callback URL (and a callback secret to rotate)";
    TestNotSupported = "test_not_supported", Some(409), "only a webhook destination can be sent a test event";
    DestinationDisabled = "destination_disabled", Some(409), "the destination is disabled";
    DeliveryQueued = "delivery_queued", Some(409), "the delivery is still queued; only a dead one can be retried";
    InvalidRole = "invalid_role", Some(422), "the role must be `helpdesk` or `admin`";
    InvalidLabel = "invalid_label", Some(422), "the label must be 1 to 200 characters, and not the configured token's";
    LastAdminToken = "last_admin_token", Some(409), "the last admin token cannot be deleted; create another admin token first";
    InvalidEmail = "invalid_email", Some(422), "the e-mail address is malformed or longer than 200 characters";
    InvalidExternalId = "invalid_external_id", Some(422), "the external id must be 1 to 200 characters without control characters";
    ExternalIdTaken = "external_id_taken", Some(409), "another agent has this external id (`agent` names it)";
    InvalidCapacity = "invalid_capacity", Some(422), "the capacity must be a whole number from 1 to 1000";
    InvalidStatus = "invalid_status", Some(422), "the availability status must be `online`, `away` or `offline`";
    InvalidWorkingHours = "invalid_working_hours", Some(422), "the working hours are malformed (`pointer` names the part: an unknown time zone, a day, an `HH:MM` time, `to` not after `from`)";
    UnknownAgent = "unknown_agent", Some(422), "no such agent (`agent` names it)";
    UnknownTeam = "unknown_team", Some(422), "no such team";
    InvalidMembers = "invalid_members", Some(422), "a team has at most 1000 members";
    ReplyNotSupported = "reply_not_supported", Some(409), "the provider has no reply API";
    ChannelNotApproved = "channel_not_approved", Some(409), "the conversation's channel is not approved";
    ChannelDeleted = "channel_deleted", Some(409), "the conversation's channel was deleted";
    IdempotencyKeyReused = "idempotency_key_reused", Some(409), "the `Idempotency-Key` was used in this conversation for other content";
    Conflict = "conflict", Some(409), "the resource changed in a way that forbids this";
    MetricsUnavailable = "metrics_unavailable", Some(503), "metrics are disabled";
    StoreUnavailable = "store_unavailable", Some(503), "the store could not complete the request";
    ShuttingDown = "shutting_down", Some(503), "the gateway is shutting down";
    Internal = "internal", Some(500), "an internal error; see the gateway's logs";
}

impl From<&VerifyError> for Code {
    fn from(e: &VerifyError) -> Self {
        match e {
            VerifyError::SourceNotAllowed(_) => Code::SourceNotAllowed,
            VerifyError::MissingSignature(_) => Code::SignatureMissing,
            VerifyError::BadSignature => Code::SignatureInvalid,
            VerifyError::StaleTimestamp => Code::TimestampOutOfWindow,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem answer: the error, its stable code and a readable detail.
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
        let body = Problem {
            kind: format!("https://omnigate.dev/problems/{}", code.replace('_', "-")),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            code,
            detail: self.detail.clone(),
            field: None,
            extra: self.extra.clone(),
        };
        crate::telemetry::problem(self.status.as_u16(), code);
        let mut resp = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            resp.insert_header(("Retry-After", seconds.to_string()));
        }
        resp.content_type("application/problem+json");
        if self.status == StatusCode::UNAUTHORIZED {
            resp.insert_header(("WWW-Authenticate", "Bearer"));
        }
        resp.body(serde_json::to_string(&body).unwrap_or_default())
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
            StoreError::Taken(field) => ApiError::new(
                Code::ExternalIdTaken,
                format!("another agent has this {field}"),
            )
            .with("field", field),
            StoreError::UnknownAgent(id) => {
                ApiError::new(Code::UnknownAgent, format!("no agent {id}")).with("agent", id)
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

/// An error: RFC 9457 `application/problem+json` with a stable `code`. Some problems add
/// fields (`field`, `state`, `provider`, `message_id`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"type": "https://omnigate.dev/problems/not-found", "title": "Not Found",
    "status": 404, "code": "not_found", "detail": "no such channel"}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    /// Stable, machine-readable: branch on this.
    pub code: &'static str,
    pub detail: String,
    /// The request field the problem is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// The problem's other fields (`state`, `provider`, `message_id`, and `field` when set).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: Map<String, Value>,
}

/// The list README shows between its `error-codes` markers: one line per code.
pub fn markdown_list() -> String {
    let mut out = String::new();
    for code in Code::ALL {
        let status = code
            .status()
            .map_or_else(|| "400/422".to_string(), |s| s.as_u16().to_string());
        out.push_str(&format!(
            "- `{}` ({status}): {}\n",
            code.as_str(),
            code.meaning()
        ));
    }
    out.push_str(&format!(
        "- a connector's reply code (422, e.g. `empty_text`, `text_too_long`): {}\n",
        Code::Reply("").meaning()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_verify_errors_keep_their_codes() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
        }
        for e in [
            VerifyError::SourceNotAllowed("203.0.113.9".into()),
            VerifyError::MissingSignature("x-signature"),
            VerifyError::BadSignature,
            VerifyError::StaleTimestamp,
        ] {
            assert_eq!(Code::from(&e).as_str(), e.code());
        }
    }

    #[test]
    fn readme_lists_every_code() {
        let readme = include_str!("../README.md");
        let start = "<!-- error-codes -->\n";
        let end = "<!-- /error-codes -->";
        let listed = readme
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(list, _)| list)
            .unwrap_or_default();
        assert_eq!(
            listed,
            markdown_list(),
            "README's error-code list is generated from src/error.rs: paste this between its markers"
        );
    }
}

//! `X-Request-Id`: taken from the caller when it sends a sensible one, generated otherwise,
//! echoed on the answer, recorded on every log line of the request (a `request` span), and
//! stored with what the request brought in, so deliveries and provider calls carry it on.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The longest request id taken from a caller.
const MAX_LEN: usize = 128;

/// The request's id, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller's id is kept when it is 1 to 128 letters, digits and `-_.:/+@`; anything else
/// (empty, spaces, quotes, `=`, `<>`, control characters, huge) is replaced, so the id can
/// neither forge a field in a log line nor inject markup into a log viewer downstream.
fn accepted(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+@".contains(&b))
}

fn generate() -> String {
    format!("req_{}", uuid::Uuid::now_v7().simple())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| accepted(v))
        .map(str::to_string)
        .unwrap_or_else(generate);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %crate::startup::redacted_path(req.path()),
    );
    let mut res = next.call(req).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(res)
}

/// The id of the request being handled.
pub fn of(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sensible_ids_are_taken_from_callers() {
        assert!(accepted("req-123_abc.DEF"));
        assert!(accepted(&"a".repeat(MAX_LEN)));
        assert!(!accepted(""));
        assert!(!accepted("has space"));
        assert!(!accepted("tab\there"));
        assert!(accepted("0f9c2b1e-77aa-4c3e:span/1+x@edge"));
        assert!(!accepted("x\"status=500_level=ERROR_req="));
        assert!(!accepted("<script>alert(1)</script>"));
        assert!(!accepted("a=b"));
        assert!(!accepted(&"a".repeat(MAX_LEN + 1)));
        assert!(generate().starts_with("req_"));
    }
}

//! Reading a request's body and headers the way every signed inbound call needs them: the body
//! as raw bytes under a size limit (a signature covers the bytes, not a parsed value), the
//! headers as lower-case name/value pairs for the verifiers.

use actix_web::http::header::HeaderMap;
use actix_web::web;
use futures_util::StreamExt;

use crate::error::Code;
use crate::error::{ApiError, ApiResult};

/// Reads the body up to `limit` bytes; a declared or actual larger body is refused without
/// reading it to the end.
pub async fn read_body(
    headers: &HeaderMap,
    mut payload: web::Payload,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(
            Code::BodyTooLarge,
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::http::timed_out(&e) {
                ApiError::new(Code::BodyTimeout, "the body did not arrive in time")
            } else {
                ApiError::new(Code::BodyUnreadable, e.to_string())
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The headers a verifier sees: names in lower case, values that are not visible ASCII left out.
pub fn headers_of(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect()
}

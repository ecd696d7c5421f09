//! The address a webhook came from, for the connectors' source-IP allowlists.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;

/// The peer's address, or behind our own proxy (`trust_forwarded_for`) the right-most
/// `X-Forwarded-For` entry: that is the one the proxy appended; the others are client-supplied.
pub fn source_ip(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer
}

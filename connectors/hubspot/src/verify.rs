//! HubSpot's v3 request signature, checked on the raw bytes before anything is parsed:
//! `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256, with the app's client secret, of
//! `method + uri + body + timestamp`, where `X-HubSpot-Request-Timestamp` is in milliseconds and
//! refused when more than 5 minutes old. The URI is the one HubSpot called: the gateway rebuilds
//! it from `server.public_url` and the request's path and query (never from the Host header,
//! which a proxy or a client chooses) and passes it as [`REQUEST_URL_HEADER`].

use base64::Engine;
use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError, REQUEST_URL_HEADER,
};
use serde_json::{Map, Value};

use crate::config::{value, CLIENT_SECRET};

pub const SIGNATURE_HEADER: &str = "x-hubspot-signature-v3";
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";
/// HubSpot's own limit (`MAX_ALLOWED_TIMESTAMP` in its client libraries), in milliseconds.
pub const MAX_AGE_MS: i64 = 300_000;
/// The URL a stand-in request is signed for, when none is given.
pub const EXAMPLE_URL: &str = "https://omnigate.example/hooks/example-key";

/// HubSpot decodes these escapes in the URI before signing (its request-validation guide).
const DECODED: [(&str, &str); 12] = [
    ("%3A", ":"),
    ("%2F", "/"),
    ("%3F", "?"),
    ("%40", "@"),
    ("%21", "!"),
    ("%24", "$"),
    ("%27", "'"),
    ("%28", "("),
    ("%29", ")"),
    ("%2A", "*"),
    ("%2C", ","),
    ("%3B", ";"),
];

/// The URI as HubSpot signs it.
pub fn signed_uri(uri: &str) -> String {
    DECODED.iter().fold(uri.to_string(), |u, (from, to)| {
        u.replace(from, to).replace(&from.to_ascii_lowercase(), to)
    })
}

/// The `X-HubSpot-Signature-v3` value for a `method` call of `uri` with `body` at `timestamp`
/// (milliseconds, as sent).
pub fn signature(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    let uri = signed_uri(uri);
    let mac = sig::hmac(
        Hash::Sha256,
        secret.as_bytes(),
        &[
            method.as_bytes(),
            uri.as_bytes(),
            body,
            timestamp.as_bytes(),
        ],
    );
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// The request HubSpot sends to `url` for `body` at `at` (seconds), with the URL passed the way
/// the gateway passes it.
pub fn sign_for(
    url: &str,
    credentials: &Map<String, Value>,
    body: &[u8],
    at: i64,
) -> Option<SignedRequest> {
    let secret = value(credentials, CLIENT_SECRET)?;
    let ts = (at * 1000).to_string();
    Some(SignedRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                SIGNATURE_HEADER.into(),
                signature(secret, "POST", url, body, &ts),
            ),
            (TIMESTAMP_HEADER.into(), ts),
            (REQUEST_URL_HEADER.into(), url.into()),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-HubSpot-Signature-v3"))?;
    let timestamp = req
        .header(TIMESTAMP_HEADER)
        .ok_or(VerifyError::MissingSignature("X-HubSpot-Request-Timestamp"))?;
    let secret = value(channel.credentials, CLIENT_SECRET).ok_or(VerifyError::BadSignature)?;
    // Without the URL HubSpot called nothing can be checked; refused rather than trusted.
    let uri = req.url().ok_or(VerifyError::BadSignature)?;
    let uri = signed_uri(uri);
    let given = sig::decode_base64(given)?;
    sig::verify_hmac(
        Hash::Sha256,
        secret.as_bytes(),
        &[b"POST", uri.as_bytes(), req.body, timestamp.as_bytes()],
        &given,
    )?;
    let sent_ms: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::StaleTimestamp)?;
    let age = req.received_at.saturating_mul(1000).saturating_sub(sent_ms);
    // Older than HubSpot's limit is stale; a clock a little ahead of ours is tolerated as much.
    if !(-MAX_AGE_MS..=MAX_AGE_MS).contains(&age) {
        return Err(VerifyError::StaleTimestamp);
    }
    Ok(())
}

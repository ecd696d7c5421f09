//! Crisp's hook signature, checked on the raw bytes before anything is parsed. Plugin hooks
//! carry `X-Crisp-Signature: <hex HMAC-SHA256(signing_secret,
//! "[{X-Crisp-Request-Timestamp};{body}]")>`; website hooks are not signed at all, so a
//! channel without a `signing_secret` is protected by its unguessable webhook URL alone. The
//! optional source allow list is checked first.
//!
//! The signed string is built from the raw body, as Crisp's Go library does. (Its Node library
//! re-serialises the parsed JSON instead; omnigate does not, because a re-serialisation that
//! differs from Crisp's in key order or escaping would refuse genuine hooks.)

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config;

pub const SIGNATURE_HEADER: &str = "x-crisp-signature";
pub const TIMESTAMP_HEADER: &str = "x-crisp-request-timestamp";

/// Above this, a timestamp is in milliseconds (as every other Crisp timestamp is); below it,
/// in seconds. The two ranges cannot meet before the year 5138.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// What Crisp signs: `[{timestamp};{body}]`.
fn signed<'a>(timestamp: &'a str, body: &'a [u8]) -> [&'a [u8]; 5] {
    [b"[", timestamp.as_bytes(), b";", body, b"]"]
}

/// The `X-Crisp-Signature` value Crisp sends for `body` at `timestamp`: for tests and tools
/// that stand in for Crisp.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    sig::hmac_hex(Hash::Sha256, secret.as_bytes(), &signed(timestamp, body))
}

/// The request a Crisp plugin hook carries for `body` at `at` (Crisp's timestamps are in
/// milliseconds); a website-hook channel (no signing secret) gets the body alone.
pub fn sign(credentials: &Map<String, Value>, body: &[u8], at: i64) -> Option<SignedRequest> {
    let headers = match config::signing_secret(credentials) {
        None => Vec::new(),
        Some(secret) => {
            let ts = at.saturating_mul(1000).to_string();
            vec![
                (SIGNATURE_HEADER.into(), signature(secret, &ts, body)),
                (TIMESTAMP_HEADER.into(), ts),
            ]
        }
    };
    Some(SignedRequest {
        headers,
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let Some(secret) = config::signing_secret(channel.credentials) else {
        // A website hook: Crisp signs none, the webhook key in the URL was the check.
        return Ok(());
    };
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Crisp-Signature"))?;
    let timestamp = req
        .header(TIMESTAMP_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Crisp-Request-Timestamp"))?;
    let given = sig::decode_hex(given)?;
    // verify_slice compares in constant time.
    sig::verify_hmac(
        Hash::Sha256,
        secret.as_bytes(),
        &signed(timestamp, req.body),
        &given,
    )?;
    if let Some(tolerance) = config::tolerance(channel.settings) {
        let raw: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::StaleTimestamp)?;
        let seconds = if raw > MILLIS_THRESHOLD {
            raw / 1000
        } else {
            raw
        };
        if req.received_at.abs_diff(seconds) > tolerance {
            return Err(VerifyError::StaleTimestamp);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_vector_computed_independently() {
        // printf '[1700000000123;{"event":"message:send"}]' |
        //   openssl dgst -sha256 -hmac crisp-secret
        assert_eq!(
            signature(
                "crisp-secret",
                "1700000000123",
                br#"{"event":"message:send"}"#
            ),
            "eb7528f09227789c19723cd48667e7145c902ab146a9971173bf3a93e54d367d"
        );
    }
}

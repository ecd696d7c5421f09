//! Crisp's hook signature, checked on the raw bytes before anything is parsed. Plugin hooks
//! carry `X-Crisp-Signature: <hex HMAC-SHA256(signing_secret,
//! "[{X-Crisp-Request-Timestamp};{body}]")>`; website hooks are not signed at all, so a
//! channel without a `signing_secret` is protected by its unguessable webhook URL alone. The
//! optional source allow list is checked first.
//!
//! The signed string is built from the raw body, as Crisp's Go library does. (Its Node library
//! re-serialises the parsed JSON instead; omnigate does not, because a re-serialisation that
//! differs from Crisp's in key order or escaping would refuse genuine hooks.)

use hmac::{Hmac, Mac};
use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};
use sha2::Sha256;

use crate::config;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "x-crisp-signature";
pub const TIMESTAMP_HEADER: &str = "x-crisp-request-timestamp";

/// Above this, a timestamp is in milliseconds (as every other Crisp timestamp is); below it,
/// in seconds. The two ranges cannot meet before the year 5138.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    // HMAC accepts keys of any length, so this never fails; no panic path either way.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"[");
    mac.update(timestamp.as_bytes());
    mac.update(b";");
    mac.update(body);
    mac.update(b"]");
    Some(mac)
}

/// The `X-Crisp-Signature` value Crisp sends for `body` at `timestamp`: for tests and tools
/// that stand in for Crisp.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
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
    let given = hex::decode(given.trim()).map_err(|_| VerifyError::BadSignature)?;
    let mac = mac(secret, timestamp, req.body).ok_or(VerifyError::BadSignature)?;
    // verify_slice compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::BadSignature)?;
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

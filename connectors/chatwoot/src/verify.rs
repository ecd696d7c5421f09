//! Chatwoot's webhook signature, checked on the raw bytes before anything is parsed:
//! `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(webhook_secret, "{timestamp}.{body}")>` with
//! `X-Chatwoot-Timestamp` (unix seconds), which must be within the channel's window of the
//! receive time. The optional source allow list is checked first.

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config::{self, WEBHOOK_SECRET};

pub const SIGNATURE_HEADER: &str = "x-chatwoot-signature";
pub const TIMESTAMP_HEADER: &str = "x-chatwoot-timestamp";
pub const DELIVERY_HEADER: &str = "x-chatwoot-delivery";

/// The delivery id a stand-in request carries (Chatwoot's are UUIDs, the same on a retry).
pub const EXAMPLE_DELIVERY: &str = "6f0e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b";

/// The `X-Chatwoot-Signature` value Chatwoot sends for `body` signed at `timestamp`: for tests
/// and tools that stand in for Chatwoot.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mac = sig::hmac_hex(
        Hash::Sha256,
        secret.as_bytes(),
        &[timestamp.as_bytes(), b".", body],
    );
    format!("sha256={mac}")
}

/// The request Chatwoot sends for `body` at `at`, delivered as [`EXAMPLE_DELIVERY`].
pub fn sign(credentials: &Map<String, Value>, body: &[u8], at: i64) -> Option<SignedRequest> {
    let secret = credentials.get(WEBHOOK_SECRET)?.as_str()?;
    let ts = at.to_string();
    Some(SignedRequest {
        headers: vec![
            (SIGNATURE_HEADER.into(), signature(secret, &ts, body)),
            (TIMESTAMP_HEADER.into(), ts),
            (DELIVERY_HEADER.into(), EXAMPLE_DELIVERY.into()),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Chatwoot-Signature"))?;
    let timestamp = req
        .header(TIMESTAMP_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Chatwoot-Timestamp"))?;
    // Credentials validation requires the secret; should one be missing anyway, nothing can be
    // checked and the request is refused rather than trusted.
    let secret = channel
        .credentials
        .get(WEBHOOK_SECRET)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::BadSignature)?;
    let given = given
        .trim()
        .strip_prefix("sha256=")
        .ok_or(VerifyError::BadSignature)?;
    let given = sig::decode_hex(given)?;
    let signed = [timestamp.as_bytes(), b".", req.body];
    sig::verify_hmac(Hash::Sha256, secret.as_bytes(), &signed, &given)?;
    // Checked after the signature, so only a genuine but old (or far-future) request is
    // called stale; a forged one is always signature_invalid.
    sig::check_window(
        timestamp,
        req.received_at,
        config::tolerance(channel.settings),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_vector_computed_independently() {
        // printf '1700000000.{"event":"message_created"}' |
        //   openssl dgst -sha256 -hmac chatwoot-secret
        assert_eq!(
            signature(
                "chatwoot-secret",
                "1700000000",
                br#"{"event":"message_created"}"#
            ),
            "sha256=3fdcca276239854b135f64beb3774a398b59725f26b41eabcdee09f06dd55d44"
        );
    }
}

//! Tawk.to's webhook signature, checked on the raw bytes before anything is parsed:
//! `X-Tawk-Signature` is the hex HMAC-SHA1 of the body with the webhook's secret key. Tawk.to
//! signs no timestamp, so there is no window; retries are recognized by `X-Hook-Event-Id`
//! instead. The optional source allow list is checked first.

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config::WEBHOOK_SECRET;

pub const SIGNATURE_HEADER: &str = "x-tawk-signature";
pub const EVENT_ID_HEADER: &str = "x-hook-event-id";

/// The `X-Tawk-Signature` value Tawk.to sends for `body`: for tests and tools that stand in
/// for Tawk.to.
pub fn signature(secret: &str, body: &[u8]) -> String {
    sig::hmac_hex(Hash::Sha1, secret.as_bytes(), &[body])
}

/// The event id a stand-in request carries (Tawk.to's are UUIDs, the same on a retry).
pub const EXAMPLE_EVENT_ID: &str = "2f8e6d4c-1a3b-4c5d-8e7f-9a0b1c2d3e4f";

/// The request Tawk.to sends for `body`, with the id [`EXAMPLE_EVENT_ID`].
pub fn sign(credentials: &Map<String, Value>, body: &[u8]) -> Option<SignedRequest> {
    let secret = credentials.get(WEBHOOK_SECRET)?.as_str()?;
    Some(SignedRequest {
        headers: vec![
            (SIGNATURE_HEADER.into(), signature(secret, body)),
            (EVENT_ID_HEADER.into(), EXAMPLE_EVENT_ID.into()),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Tawk-Signature"))?;
    // Credentials validation requires the secret; should one be missing anyway, nothing can be
    // checked and the request is refused rather than trusted.
    let secret = channel
        .credentials
        .get(WEBHOOK_SECRET)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::BadSignature)?;
    let given = sig::decode_hex(given)?;
    sig::verify_hmac(Hash::Sha1, secret.as_bytes(), &[req.body], &given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_vector_computed_independently() {
        // printf '{"event":"chat:end"}' | openssl dgst -sha1 -hmac tawk-secret
        assert_eq!(
            signature("tawk-secret", br#"{"event":"chat:end"}"#),
            "d92b505c2ed8779bbb987a7cf0e1c841892247a9"
        );
    }
}

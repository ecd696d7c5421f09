//! Tawk.to's webhook signature, checked on the raw bytes before anything is parsed:
//! `X-Tawk-Signature` is the hex HMAC-SHA1 of the body with the webhook's secret key. Tawk.to
//! signs no timestamp, so there is no window; retries are recognized by `X-Hook-Event-Id`
//! instead. The optional source allow list is checked first.

use hmac::{Hmac, Mac};
use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};
use serde_json::Value;
use sha1::Sha1;

use crate::config::WEBHOOK_SECRET;

type HmacSha1 = Hmac<Sha1>;

pub const SIGNATURE_HEADER: &str = "x-tawk-signature";
pub const EVENT_ID_HEADER: &str = "x-hook-event-id";

fn mac(secret: &str, body: &[u8]) -> Option<HmacSha1> {
    // HMAC accepts keys of any length, so this never fails; no panic path either way.
    let mut mac = HmacSha1::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    Some(mac)
}

/// The `X-Tawk-Signature` value Tawk.to sends for `body`: for tests and tools that stand in
/// for Tawk.to.
pub fn signature(secret: &str, body: &[u8]) -> String {
    mac(secret, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
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
    let given = hex::decode(given.trim()).map_err(|_| VerifyError::BadSignature)?;
    let mac = mac(secret, req.body).ok_or(VerifyError::BadSignature)?;
    // verify_slice compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::BadSignature)
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

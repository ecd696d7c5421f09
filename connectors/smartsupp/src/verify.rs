//! Smartsupp's webhook signature, checked on the raw bytes before anything is parsed:
//! `X-Smartsupp-Hmac` is the hex HMAC-SHA256 of the body with the app's client secret. Nothing
//! else is signed (no timestamp, so no window). The optional source allow list is checked first.

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config::{secret, CLIENT_SECRET};

pub const SIGNATURE_HEADER: &str = "x-smartsupp-hmac";

/// The `X-Smartsupp-Hmac` value Smartsupp sends for `body`.
pub fn signature(client_secret: &str, body: &[u8]) -> String {
    sig::hmac_hex(Hash::Sha256, client_secret.as_bytes(), &[body])
}

/// The request Smartsupp sends for `body`.
pub fn sign(credentials: &Map<String, Value>, body: &[u8]) -> Option<SignedRequest> {
    let secret = secret(credentials, CLIENT_SECRET)?;
    Some(SignedRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (SIGNATURE_HEADER.into(), signature(secret, body)),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Smartsupp-Hmac"))?;
    // Validation requires the secret; should it be missing anyway, the request is refused.
    let secret = secret(channel.credentials, CLIENT_SECRET).ok_or(VerifyError::BadSignature)?;
    let given = sig::decode_hex(given)?;
    sig::verify_hmac(Hash::Sha256, secret.as_bytes(), &[req.body], &given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_vector_computed_independently() {
        // printf '{"event":"conversation.opened"}' | openssl dgst -sha256 -hmac smartsupp-secret
        assert_eq!(
            signature("smartsupp-secret", br#"{"event":"conversation.opened"}"#),
            "dc88e9d758690440e2028721d09dea51d408f1a412f070a833aac1bc9b616d97"
        );
    }
}

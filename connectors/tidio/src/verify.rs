//! Tidio's webhook signature, checked on the raw bytes before anything is parsed:
//! `x-tidio-signature: t=<ts>,s=<hex>[,s=<hex>...]`, each `s` the hex HMAC-SHA256 of
//! `body + "_" + t` with one of the project's secrets. Any matching `s` is enough (Tidio lists
//! one per active secret while a secret is rotated). `t` is signed, so a delivery replayed
//! later is refused once `t` leaves the channel's window. The optional source allow list is
//! checked first.

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config;

pub const SIGNATURE_HEADER: &str = "x-tidio-signature";
/// More `s` values than this is no rotation Tidio does; the rest are not tried.
const MAX_SIGNATURES: usize = 8;

/// The hex signature Tidio computes for `body` at `t`.
pub fn signature(secret: &str, t: &str, body: &[u8]) -> String {
    sig::hmac_hex(Hash::Sha256, secret.as_bytes(), &[body, b"_", t.as_bytes()])
}

/// The whole `x-tidio-signature` value for `body` at `t`, signed with each of `secrets`: for
/// tests and tools standing in for Tidio.
pub fn signature_header(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let mut value = format!("t={t}");
    for secret in secrets {
        value.push_str(",s=");
        value.push_str(&signature(secret, &t, body));
    }
    value
}

/// The request Tidio sends for `body` at `at`.
pub fn sign(credentials: &Map<String, Value>, body: &[u8], at: i64) -> Option<SignedRequest> {
    let secret = config::secret(credentials)?;
    Some(SignedRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), "Tidio Webhook".into()),
            (
                SIGNATURE_HEADER.into(),
                signature_header(&[secret], at, body),
            ),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let header = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("x-tidio-signature"))?;
    let secret = config::secret(channel.credentials).ok_or(VerifyError::BadSignature)?;
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) if t.is_none() => t = Some(v.trim()),
            Some(("s", v)) if signatures.len() < MAX_SIGNATURES => signatures.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::BadSignature)?;
    let parts: [&[u8]; 3] = [req.body, b"_", t.as_bytes()];
    // Every candidate is compared (each in constant time), so the time taken does not tell
    // which one matched.
    let matched = signatures.iter().fold(false, |found, s| {
        let ok = sig::decode_hex(s)
            .and_then(|given| sig::verify_hmac(Hash::Sha256, secret.as_bytes(), &parts, &given))
            .is_ok();
        found | ok
    });
    if !matched {
        return Err(VerifyError::BadSignature);
    }
    sig::check_window(t, req.received_at, config::tolerance(channel.settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_vector_computed_independently() {
        // printf '{"topic":"contact.created"}_1687177446' |
        //   openssl dgst -sha256 -hmac tidio-secret
        assert_eq!(
            signature(
                "tidio-secret",
                "1687177446",
                br#"{"topic":"contact.created"}"#
            ),
            "f5c28a590b12182a5bcca13abd837c714fa8bcd1f0de3e24e90b9efb2000e214"
        );
    }
}

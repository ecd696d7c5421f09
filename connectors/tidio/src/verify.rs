//! Tidio's webhook signature, checked on the raw bytes before anything is parsed:
//! `x-tidio-signature: t=<ts>,s=<hex>[,s=<hex>...]`, each `s` the hex HMAC-SHA256 of
//! `body + "_" + t` with one of the project's secrets. Any matching `s` is enough (Tidio lists
//! one per active secret while a secret is rotated). `t` is signed, so a delivery replayed
//! later is refused once `t` leaves the channel's window. The optional source allow list is
//! checked first.

use hmac::{Hmac, Mac};
use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};
use sha2::Sha256;

use crate::config;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "x-tidio-signature";
/// More `s` values than this is no rotation Tidio does; the rest are not tried.
const MAX_SIGNATURES: usize = 8;

fn mac(secret: &str, t: &str, body: &[u8]) -> Option<HmacSha256> {
    // HMAC accepts keys of any length, so this never fails; no panic path either way.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    mac.update(b"_");
    mac.update(t.as_bytes());
    Some(mac)
}

/// The hex signature Tidio computes for `body` at `t`: for tests and tools standing in for
/// Tidio.
pub fn signature(secret: &str, t: &str, body: &[u8]) -> String {
    mac(secret, t, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The whole `x-tidio-signature` value for `body` at `t`, signed with each of `secrets`.
pub fn signature_header(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let mut value = format!("t={t}");
    for secret in secrets {
        value.push_str(",s=");
        value.push_str(&signature(secret, &t, body));
    }
    value
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
            Some(("s", v)) if signatures.len() < MAX_SIGNATURES => signatures.push(v.trim()),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::BadSignature)?;
    let mac = mac(secret, t, req.body).ok_or(VerifyError::BadSignature)?;
    // Every candidate is compared (verify_slice is constant time), so the time taken does not
    // tell which one matched.
    let matched = signatures.iter().fold(false, |found, s| {
        let ok = hex::decode(s).is_ok_and(|given| mac.clone().verify_slice(&given).is_ok());
        found | ok
    });
    if !matched {
        return Err(VerifyError::BadSignature);
    }
    let signed_at: i64 = t.parse().map_err(|_| VerifyError::StaleTimestamp)?;
    if req.received_at.abs_diff(signed_at) > config::tolerance(channel.settings) {
        return Err(VerifyError::StaleTimestamp);
    }
    Ok(())
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

//! Webhook signature plumbing shared by connectors: HMAC-SHA256 and HMAC-SHA1 over the parts a
//! provider signs, checked in constant time; hex and base64 decoding of the sent value; the
//! signed-timestamp window; and a constant-time compare for shared secrets sent as-is.
//!
//! A connector states only its own scheme (which header, which parts in which order, which
//! encoding); everything that must be right for security is written once here.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::connector::VerifyError;

/// The hash an HMAC scheme uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Option<M> {
    // HMAC accepts keys of any length, so this never fails; no panic path either way.
    let mut mac = <M as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// The HMAC of the concatenated `parts` under `key`.
pub fn hmac(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let out = match hash {
        Hash::Sha1 => mac::<Hmac<Sha1>>(key, parts).map(|m| m.finalize().into_bytes().to_vec()),
        Hash::Sha256 => mac::<Hmac<Sha256>>(key, parts).map(|m| m.finalize().into_bytes().to_vec()),
    };
    out.unwrap_or_default()
}

/// The HMAC of `parts` as lower-case hex, the way most providers send it.
pub fn hmac_hex(hash: Hash, key: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(hmac(hash, key, parts))
}

/// Checks a sent MAC against the HMAC of `parts`, in constant time.
pub fn verify_hmac(
    hash: Hash,
    key: &[u8],
    parts: &[&[u8]],
    given: &[u8],
) -> Result<(), VerifyError> {
    let ok = match hash {
        Hash::Sha1 => mac::<Hmac<Sha1>>(key, parts).map(|m| m.verify_slice(given).is_ok()),
        Hash::Sha256 => mac::<Hmac<Sha256>>(key, parts).map(|m| m.verify_slice(given).is_ok()),
    };
    if ok == Some(true) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// A hex-encoded signature (surrounding whitespace ignored); `BadSignature` when it is not hex.
pub fn decode_hex(sent: &str) -> Result<Vec<u8>, VerifyError> {
    hex::decode(sent.trim()).map_err(|_| VerifyError::BadSignature)
}

/// A standard base64-encoded signature; `BadSignature` when it is not base64.
pub fn decode_base64(sent: &str) -> Result<Vec<u8>, VerifyError> {
    base64::engine::general_purpose::STANDARD
        .decode(sent.trim())
        .map_err(|_| VerifyError::BadSignature)
}

/// Whether two byte strings are equal, in time that depends only on their lengths: for shared
/// secrets a provider sends back as they are (a header, a body field).
pub fn equal(sent: &[u8], expected: &[u8]) -> bool {
    bool::from(sent.ct_eq(expected))
}

/// Checks a signed timestamp (seconds since the epoch, as sent) against the receive time:
/// `StaleTimestamp` when it does not parse or is more than `tolerance` seconds away either way.
/// Called after the signature, so only a genuine but old request is called stale.
pub fn check_window(signed_at: &str, received_at: i64, tolerance: u64) -> Result<(), VerifyError> {
    let signed_at: i64 = signed_at
        .trim()
        .parse()
        .map_err(|_| VerifyError::StaleTimestamp)?;
    if received_at.abs_diff(signed_at) > tolerance {
        return Err(VerifyError::StaleTimestamp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmacs_match_vectors_computed_independently() {
        // printf 'The quick brown fox jumps over the lazy dog' | openssl dgst -sha256 -hmac key
        let msg: &[u8] = b"The quick brown fox jumps over the lazy dog";
        assert_eq!(
            hmac_hex(Hash::Sha256, b"key", &[msg]),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            hmac_hex(
                Hash::Sha1,
                b"key",
                &[b"The quick brown fox ", b"jumps over the lazy dog"]
            ),
            "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
        );
    }

    #[test]
    fn a_mac_verifies_only_over_the_same_parts_and_key() {
        let sent = hmac(Hash::Sha256, b"k", &[b"1.", b"body"]);
        assert_eq!(verify_hmac(Hash::Sha256, b"k", &[b"1.body"], &sent), Ok(()));
        assert_eq!(
            verify_hmac(Hash::Sha256, b"k", &[b"1.bodx"], &sent),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_hmac(Hash::Sha256, b"j", &[b"1.body"], &sent),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_hmac(Hash::Sha1, b"k", &[b"1.body"], &sent),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_hmac(Hash::Sha256, b"k", &[b"1.body"], &sent[..31]),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn encodings_and_shared_secrets_decode_and_compare_strictly() {
        assert_eq!(decode_hex(" 0aff\n"), Ok(vec![0x0a, 0xff]));
        assert_eq!(decode_hex("0g"), Err(VerifyError::BadSignature));
        assert_eq!(decode_base64("AP8="), Ok(vec![0x00, 0xff]));
        assert_eq!(decode_base64("AP8"), Err(VerifyError::BadSignature));
        assert!(equal(b"secret", b"secret"));
        assert!(!equal(b"secret", b"secreT"));
        assert!(!equal(b"secret", b"secret2"));
    }

    #[test]
    fn the_window_holds_either_way_and_a_bad_timestamp_is_stale() {
        assert_eq!(check_window("1000", 1300, 300), Ok(()));
        assert_eq!(check_window("1600", 1300, 300), Ok(()));
        assert_eq!(
            check_window("999", 1300, 300),
            Err(VerifyError::StaleTimestamp)
        );
        assert_eq!(
            check_window("1601", 1300, 300),
            Err(VerifyError::StaleTimestamp)
        );
        assert_eq!(
            check_window("soon", 1300, 300),
            Err(VerifyError::StaleTimestamp)
        );
    }
}

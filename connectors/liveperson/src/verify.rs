//! LivePerson's notification signature, checked on the raw bytes before anything is parsed:
//! `X-Liveperson-Signature: sha1=<base64 HMAC-SHA1(client_secret, body)>` (or `sha256=` with
//! HMAC-SHA256, per account), plus `X-Liveperson-Account-Id` and `X-Liveperson-Client-Id`
//! naming the channel's account and app. Nothing is timestamped, so there is no window; the
//! optional source allow list is checked first.

use omnigate_connector_core::signature::{self as sig, Hash};
use omnigate_connector_core::{
    allowlist, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config::{value, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET};

pub const SIGNATURE_HEADER: &str = "x-liveperson-signature";
pub const ACCOUNT_HEADER: &str = "x-liveperson-account-id";
pub const CLIENT_HEADER: &str = "x-liveperson-client-id";

/// The `X-Liveperson-Signature` value for `body` (`sha1=` unless `sha256`).
pub fn signature(client_secret: &str, body: &[u8], sha256: bool) -> String {
    use base64::Engine;
    let (hash, prefix) = if sha256 {
        (Hash::Sha256, "sha256=")
    } else {
        (Hash::Sha1, "sha1=")
    };
    let mac = sig::hmac(hash, client_secret.as_bytes(), &[body]);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    )
}

/// The request LivePerson sends for `body` on the channel of `credentials`.
pub fn sign(credentials: &Map<String, Value>, body: &[u8]) -> Option<SignedRequest> {
    Some(SignedRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                SIGNATURE_HEADER.into(),
                signature(value(credentials, CLIENT_SECRET)?, body, false),
            ),
            (
                ACCOUNT_HEADER.into(),
                value(credentials, ACCOUNT_ID)?.into(),
            ),
            (CLIENT_HEADER.into(), value(credentials, CLIENT_ID)?.into()),
        ],
        body: body.to_vec(),
    })
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Liveperson-Signature"))?;
    let account = req
        .header(ACCOUNT_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Liveperson-Account-Id"))?;
    let client = req
        .header(CLIENT_HEADER)
        .ok_or(VerifyError::MissingSignature("X-Liveperson-Client-Id"))?;
    let creds = channel.credentials;
    let secret = value(creds, CLIENT_SECRET).ok_or(VerifyError::BadSignature)?;
    let (hash, encoded) = match given.trim().split_once('=') {
        Some(("sha1", rest)) => (Hash::Sha1, rest),
        Some(("sha256", rest)) => (Hash::Sha256, rest),
        _ => return Err(VerifyError::BadSignature),
    };
    let mac = sig::decode_base64(encoded)?;
    sig::verify_hmac(hash, secret.as_bytes(), &[req.body], &mac)?;
    // A genuine notification of another account or app (one secret shared by mistake, or a
    // URL pasted into the wrong app) is not this channel's.
    let expected_account = value(creds, ACCOUNT_ID).unwrap_or_default();
    let expected_client = value(creds, CLIENT_ID).unwrap_or_default();
    if !sig::equal(account.trim().as_bytes(), expected_account.as_bytes())
        || !sig::equal(client.trim().as_bytes(), expected_client.as_bytes())
    {
        return Err(VerifyError::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signatures_match_vectors_computed_independently() {
        // printf '{"kind":"notification"}' | openssl dgst -sha1 -hmac lp-secret -binary | base64
        assert_eq!(
            signature("lp-secret", br#"{"kind":"notification"}"#, false),
            "sha1=OCirzUInqv6ktQcbo0DWcTD5YmE="
        );
        // the same with -sha256
        assert_eq!(
            signature("lp-secret", br#"{"kind":"notification"}"#, true),
            "sha256=LX1BwRa2fLhouuLYLeSO5g6VO7WQEz3OPKa7z/LZm4o="
        );
    }
}

//! Tawk.to's signature as Tawk.to computes it: HMAC-SHA1 of the raw body, hex; each failure
//! named by its stable code.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::VerifyError;
use omnigate_tawkto::Tawkto;
use serde_json::{json, Map, Value};

fn kit() -> Kit<'static> {
    Kit::new(&Tawkto, env!("CARGO_MANIFEST_DIR"))
}

fn verify_with(
    headers: &[(String, String)],
    body: &[u8],
    settings: &Map<String, Value>,
) -> Result<(), VerifyError> {
    kit()
        .with_settings(settings.clone())
        .verify(None, headers, body)
}

#[test]
fn a_webhook_signed_with_the_channels_secret_is_accepted() {
    let body = kit().fixture_bytes("chat-start.json");
    assert_eq!(
        verify_with(&kit().signed_headers(&body), &body, &Map::new()),
        Ok(())
    );
}

#[test]
fn a_wrong_secret_an_altered_body_or_a_malformed_value_is_a_bad_signature() {
    let body = kit().fixture_bytes("chat-end.json");
    let wrong = kit()
        .with_credential("webhook_secret", "other-secret")
        .signed_headers(&body);
    assert_eq!(
        verify_with(&wrong, &body, &Map::new()),
        Err(VerifyError::BadSignature)
    );
    let good = kit().signed_headers(&body);
    let mut altered = body.clone();
    altered.push(b'\n');
    assert_eq!(
        verify_with(&good, &altered, &Map::new())
            .unwrap_err()
            .code(),
        "signature_invalid"
    );
    let sha256_sized = "ab".repeat(32);
    for value in ["", "zz", &good[0].1[..20], &sha256_sized] {
        let mut headers = good.clone();
        headers[0].1 = value.to_string();
        assert_eq!(
            verify_with(&headers, &body, &Map::new()),
            Err(VerifyError::BadSignature),
            "{value}"
        );
    }
}

#[test]
fn a_missing_signature_is_named() {
    let body = kit().fixture_bytes("chat-end.json");
    let headers = kit().signed_headers(&body);
    let err = verify_with(&headers[1..], &body, &Map::new()).unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("X-Tawk-Signature"));
    assert_eq!(err.code(), "signature_missing");
}

#[test]
fn the_allow_list_is_checked_when_set() {
    let body = kit().fixture_bytes("chat-end.json");
    let headers = kit().signed_headers(&body);
    let settings = |v: Value| v.as_object().cloned().unwrap_or_default();
    let listed = settings(json!({"allowed_source_ips": ["203.0.113.5"]}));
    assert_eq!(verify_with(&headers, &body, &listed), Ok(()));
    let other = settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    assert_eq!(
        verify_with(&headers, &body, &other),
        Err(VerifyError::SourceNotAllowed("203.0.113.5".into()))
    );
}

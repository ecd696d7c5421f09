//! Smartsupp's signature as Smartsupp computes it: hex HMAC-SHA256 of the raw body with the
//! app's client secret; each failure named by its stable code.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::VerifyError;
use omnigate_smartsupp::{signature, Smartsupp};
use serde_json::json;

fn kit() -> Kit<'static> {
    Kit::new(&Smartsupp, env!("CARGO_MANIFEST_DIR"))
}

fn signed_with(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    vec![("x-smartsupp-hmac".into(), signature(secret, body))]
}

#[test]
fn a_webhook_signed_with_the_client_secret_is_accepted() {
    let kit = kit();
    let body = kit.fixture_bytes("contact-replied.json");
    let signed = kit.signed(&body);
    assert_eq!(kit.verify(None, &signed.headers, &body), Ok(()));
    assert_eq!(
        kit.verify(
            None,
            &signed_with("smartsupp-client-secret-2b7c", &body),
            &body
        ),
        Ok(())
    );
}

#[test]
fn a_forged_or_altered_webhook_is_a_bad_signature_and_a_missing_one_is_named() {
    let kit = kit();
    let body = kit.fixture_bytes("agent-replied.json");
    assert_eq!(
        kit.verify(None, &signed_with("not-the-secret", &body), &body),
        Err(VerifyError::BadSignature)
    );
    let good = kit.signed(&body).headers;
    let mut altered = body.clone();
    altered.push(b'\n');
    assert_eq!(
        kit.verify(None, &good, &altered),
        Err(VerifyError::BadSignature)
    );
    for value in ["", "zz", "sha256=abc", &"0".repeat(64)] {
        let h = vec![("x-smartsupp-hmac".to_string(), value.to_string())];
        assert_eq!(
            kit.verify(None, &h, &body).unwrap_err().code(),
            "signature_invalid",
            "{value:?}"
        );
    }
    assert_eq!(
        kit.verify(None, &[], &body),
        Err(VerifyError::MissingSignature("X-Smartsupp-Hmac"))
    );
}

#[test]
fn the_source_allow_list_is_checked_first() {
    let kit = kit().with_settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    let body = kit.fixture_bytes("contact-replied.json");
    let signed = kit.signed(&body);
    assert_eq!(
        kit.verify(None, &signed.headers, &body).unwrap_err().code(),
        "source_not_allowed"
    );
}

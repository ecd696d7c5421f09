//! Tidio's signature as Tidio computes it: hex HMAC-SHA256 of `body + "_" + t`, any of several
//! `s` values, a signed timestamp inside the window; each failure named by its stable code.

use omnigate_connector_core::testing::{Kit, NOW};
use omnigate_connector_core::VerifyError;
use omnigate_tidio::{signature_header, Tidio};
use serde_json::json;

const SECRET: &str = "tidio-webhook-secret-6f1a";

fn kit() -> Kit<'static> {
    Kit::new(&Tidio, env!("CARGO_MANIFEST_DIR"))
}

fn headers(secrets: &[&str], t: i64, body: &[u8]) -> Vec<(String, String)> {
    vec![(
        "x-tidio-signature".into(),
        signature_header(secrets, t, body),
    )]
}

#[test]
fn a_webhook_signed_with_the_channels_secret_is_accepted() {
    let kit = kit();
    let body = kit.fixture_bytes("contact-created.json");
    let signed = kit.signed(&body);
    assert_eq!(kit.verify(None, &signed.headers, &signed.body), Ok(()));
    assert_eq!(
        kit.verify(None, &headers(&[SECRET], NOW, &body), &body),
        Ok(())
    );
}

#[test]
fn during_a_rotation_any_matching_signature_is_enough() {
    let kit = kit();
    let body = kit.fixture_bytes("contact-created.json");
    for order in [[SECRET, "the-old-secret"], ["the-old-secret", SECRET]] {
        let h = headers(&order, NOW, &body);
        assert_eq!(kit.verify(None, &h, &body), Ok(()), "{order:?}");
    }
}

#[test]
fn a_forged_or_altered_webhook_is_a_bad_signature() {
    let kit = kit();
    let body = kit.fixture_bytes("conversation-operator-replied.json");
    let forged = headers(&["not-the-secret", "nor-this"], NOW, &body);
    assert_eq!(
        kit.verify(None, &forged, &body),
        Err(VerifyError::BadSignature)
    );
    let good = headers(&[SECRET], NOW, &body);
    let mut altered = body.clone();
    altered.push(b' ');
    assert_eq!(
        kit.verify(None, &good, &altered),
        Err(VerifyError::BadSignature)
    );
    // The signature of one timestamp does not carry over to another.
    let mut moved = good.clone();
    moved[0].1 = moved[0]
        .1
        .replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
    assert_eq!(
        kit.verify(None, &moved, &body),
        Err(VerifyError::BadSignature)
    );
    for value in ["", "t=1795170000", "s=abc", "t=1795170000,s=zz", "garbage"] {
        let h = vec![("x-tidio-signature".to_string(), value.to_string())];
        assert_eq!(
            kit.verify(None, &h, &body).unwrap_err().code(),
            "signature_invalid",
            "{value:?}"
        );
    }
}

#[test]
fn a_missing_header_is_signature_missing() {
    let kit = kit();
    let body = kit.fixture_bytes("contact-created.json");
    let err = kit.verify(None, &[], &body).unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("x-tidio-signature"));
    assert_eq!(err.code(), "signature_missing");
}

#[test]
fn a_stale_or_future_timestamp_is_refused_after_five_minutes_or_the_channels_window() {
    let body = kit().fixture_bytes("contact-created.json");
    let at = |kit: &Kit<'_>, t: i64| kit.verify(None, &headers(&[SECRET], t, &body), &body);
    let default = kit();
    assert_eq!(at(&default, NOW - 300), Ok(()));
    assert_eq!(at(&default, NOW - 301), Err(VerifyError::StaleTimestamp));
    assert_eq!(at(&default, NOW + 301), Err(VerifyError::StaleTimestamp));
    let wide = kit().with_settings(json!({"signature_tolerance_seconds": 3600}));
    assert_eq!(at(&wide, NOW - 3000), Ok(()));
    assert_eq!(
        at(&wide, NOW - 3601).unwrap_err().code(),
        "timestamp_out_of_window"
    );
}

#[test]
fn the_source_allow_list_is_checked_first() {
    let kit = kit().with_settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    let body = kit.fixture_bytes("contact-created.json");
    let signed = kit.signed(&body);
    assert_eq!(
        kit.verify(None, &signed.headers, &body).unwrap_err().code(),
        "source_not_allowed"
    );
}

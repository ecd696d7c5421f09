//! Tidio's signature as Tidio computes it: hex HMAC-SHA256 of `body + "_" + t`, any of several
//! `s` values, a signed timestamp inside the window; each failure named by its stable code.

mod common;

use common::{fixture_bytes, signed_headers, verify_with, NOW, SECRET};
use omnigate_connector_core::VerifyError;
use serde_json::{json, Map, Value};

fn settings(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn a_webhook_signed_with_the_channels_secret_is_accepted() {
    let body = fixture_bytes("contact-created.json");
    assert_eq!(
        verify_with(&signed_headers(&[SECRET], NOW, &body), &body, &Map::new()),
        Ok(())
    );
}

#[test]
fn during_a_rotation_any_matching_signature_is_enough() {
    let body = fixture_bytes("contact-created.json");
    for order in [[SECRET, "the-old-secret"], ["the-old-secret", SECRET]] {
        let headers = signed_headers(&order, NOW, &body);
        assert_eq!(
            verify_with(&headers, &body, &Map::new()),
            Ok(()),
            "{order:?}"
        );
    }
}

#[test]
fn a_forged_or_altered_webhook_is_a_bad_signature() {
    let body = fixture_bytes("conversation-operator-replied.json");
    let forged = signed_headers(&["not-the-secret", "nor-this"], NOW, &body);
    assert_eq!(
        verify_with(&forged, &body, &Map::new()),
        Err(VerifyError::BadSignature)
    );
    let good = signed_headers(&[SECRET], NOW, &body);
    let mut altered = body.clone();
    altered.push(b' ');
    assert_eq!(
        verify_with(&good, &altered, &Map::new()),
        Err(VerifyError::BadSignature)
    );
    // The signature of another timestamp does not carry over to this one.
    let mut moved = good.clone();
    moved[2].1 = moved[2]
        .1
        .replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
    assert_eq!(
        verify_with(&moved, &body, &Map::new()),
        Err(VerifyError::BadSignature)
    );
    for value in ["", "t=1795170010", "s=abc", "t=1795170010,s=zz", "garbage"] {
        let mut headers = good.clone();
        headers[2].1 = value.to_string();
        assert_eq!(
            verify_with(&headers, &body, &Map::new())
                .unwrap_err()
                .code(),
            "signature_invalid",
            "{value:?}"
        );
    }
}

#[test]
fn a_missing_header_is_signature_missing() {
    let body = fixture_bytes("contact-created.json");
    let err = verify_with(&[], &body, &Map::new()).unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("x-tidio-signature"));
    assert_eq!(err.code(), "signature_missing");
}

#[test]
fn a_stale_or_future_timestamp_is_refused_after_five_minutes_or_the_channels_window() {
    let body = fixture_bytes("contact-created.json");
    let at = |t: i64, s: &Map<String, Value>| {
        verify_with(&signed_headers(&[SECRET], t, &body), &body, s)
    };
    assert_eq!(at(NOW - 300, &Map::new()), Ok(()));
    assert_eq!(at(NOW - 301, &Map::new()), Err(VerifyError::StaleTimestamp));
    assert_eq!(at(NOW + 301, &Map::new()), Err(VerifyError::StaleTimestamp));
    let wide = settings(json!({"signature_tolerance_seconds": 3600}));
    assert_eq!(at(NOW - 3000, &wide), Ok(()));
    assert_eq!(
        at(NOW - 3601, &wide).unwrap_err().code(),
        "timestamp_out_of_window"
    );
}

#[test]
fn the_source_allow_list_is_checked_first() {
    let body = fixture_bytes("contact-created.json");
    let only = settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    assert_eq!(
        verify_with(&signed_headers(&[SECRET], NOW, &body), &body, &only)
            .unwrap_err()
            .code(),
        "source_not_allowed"
    );
}

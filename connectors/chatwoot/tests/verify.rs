//! Chatwoot's signature as Chatwoot computes it: over "{timestamp}.{raw body}", within the
//! channel's timestamp window, with each failure named by its stable code.

use omnigate_chatwoot::Chatwoot;
use omnigate_connector_core::testing::{Kit, NOW};
use omnigate_connector_core::VerifyError;
use serde_json::{json, Map, Value};

fn kit() -> Kit<'static> {
    Kit::new(&Chatwoot, env!("CARGO_MANIFEST_DIR"))
}

fn settings(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
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

fn without(headers: &[(String, String)], name: &str) -> Vec<(String, String)> {
    headers.iter().filter(|(k, _)| k != name).cloned().collect()
}

#[test]
fn a_webhook_signed_with_the_channels_secret_is_accepted() {
    let body = kit().fixture_bytes("message-incoming.json");
    assert_eq!(
        verify_with(&kit().signed_headers(&body), &body, &Map::new()),
        Ok(())
    );
}

#[test]
fn a_wrong_secret_or_an_altered_body_is_a_bad_signature() {
    let body = kit().fixture_bytes("message-incoming.json");
    let wrong = kit()
        .with_credential("webhook_secret", "another-secret")
        .signed_headers(&body);
    assert_eq!(
        verify_with(&wrong, &body, &Map::new()),
        Err(VerifyError::BadSignature)
    );
    let mut altered = body.clone();
    altered.extend_from_slice(b" ");
    let headers = kit().signed_headers(&body);
    let err = verify_with(&headers, &altered, &Map::new()).unwrap_err();
    assert_eq!(err.code(), "signature_invalid");
}

#[test]
fn the_timestamp_is_part_of_what_is_signed() {
    let body = kit().fixture_bytes("message-incoming.json");
    let mut headers = kit().signed_headers(&body);
    headers[1].1 = (NOW - 1).to_string();
    assert_eq!(
        verify_with(&headers, &body, &Map::new()),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn malformed_signature_values_are_bad_signatures() {
    let body = b"{}";
    let good = kit().signed_headers(body);
    let hex = good[0].1.trim_start_matches("sha256=").to_string();
    for value in [
        hex.clone(),
        format!("sha1={hex}"),
        "sha256=zz".to_string(),
        format!("sha256={}", &hex[..32]),
        String::new(),
    ] {
        let mut headers = good.clone();
        headers[0].1 = value.clone();
        assert_eq!(
            verify_with(&headers, body, &Map::new()),
            Err(VerifyError::BadSignature),
            "{value}"
        );
    }
}

#[test]
fn a_missing_signature_or_timestamp_is_named() {
    let body = b"{}";
    let headers = kit().signed_headers(body);
    let err = verify_with(
        &without(&headers, "x-chatwoot-signature"),
        body,
        &Map::new(),
    )
    .unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("X-Chatwoot-Signature"));
    assert_eq!(err.code(), "signature_missing");
    let err = verify_with(
        &without(&headers, "x-chatwoot-timestamp"),
        body,
        &Map::new(),
    )
    .unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("X-Chatwoot-Timestamp"));
}

#[test]
fn stale_and_future_timestamps_are_refused_outside_the_window() {
    let body = b"{}";
    let ok =
        |ts: i64, s: &Map<String, Value>| verify_with(&kit().at(ts).signed_headers(body), body, s);
    let default = Map::new();
    assert_eq!(ok(NOW - 300, &default), Ok(()));
    assert_eq!(ok(NOW + 300, &default), Ok(()));
    assert_eq!(ok(NOW - 301, &default), Err(VerifyError::StaleTimestamp));
    assert_eq!(ok(NOW + 301, &default), Err(VerifyError::StaleTimestamp));
    assert_eq!(
        ok(0, &default).unwrap_err().code(),
        "timestamp_out_of_window"
    );
    let narrow = settings(json!({"signature_tolerance_seconds": 30}));
    assert_eq!(ok(NOW - 31, &narrow), Err(VerifyError::StaleTimestamp));
    let wide = settings(json!({"signature_tolerance_seconds": 3600}));
    assert_eq!(ok(NOW - 3000, &wide), Ok(()));
}

#[test]
fn the_allow_list_is_checked_when_set() {
    let body = b"{}";
    let headers = kit().signed_headers(body);
    let listed = settings(json!({"allowed_source_ips": ["203.0.113.0/24"]}));
    assert_eq!(verify_with(&headers, body, &listed), Ok(()));
    let other = settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    assert_eq!(
        verify_with(&headers, body, &other),
        Err(VerifyError::SourceNotAllowed("203.0.113.5".into()))
    );
}

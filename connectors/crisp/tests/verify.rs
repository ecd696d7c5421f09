//! Crisp plugin hooks are signed over "[{timestamp};{raw body}]" and checked when the channel
//! has a signing secret; website hooks are unsigned and pass on the webhook URL alone.

use omnigate_connector_core::testing::{Kit, NOW};
use omnigate_connector_core::VerifyError;
use omnigate_crisp::{signature, Crisp};
use serde_json::{json, Map, Value};

fn kit() -> Kit<'static> {
    Kit::new(&Crisp, env!("CARGO_MANIFEST_DIR"))
}

const NOW_MS: i64 = NOW * 1000;
const SIGNING_SECRET: &str = "crisp-plugin-signing-secret-71c2";

/// A plugin-hook channel (`signed`) or a website-hook one.
fn credentials(signed: bool) -> Map<String, Value> {
    let kit = kit().with_credential("signing_secret", SIGNING_SECRET);
    match signed {
        true => kit.credentials,
        false => kit.without_credential("signing_secret").credentials,
    }
}

/// Headers as a Crisp plugin hook carries them, signed at `ts` (as sent) with `secret`.
fn signed_headers(secret: &str, ts: i64, body: &[u8]) -> Vec<(String, String)> {
    let ts = ts.to_string();
    vec![
        ("x-crisp-signature".into(), signature(secret, &ts, body)),
        ("x-crisp-request-timestamp".into(), ts),
    ]
}

fn verify_with(
    creds: &Map<String, Value>,
    settings: &Map<String, Value>,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), VerifyError> {
    kit()
        .with_credentials(creds.clone())
        .with_settings(settings.clone())
        .verify(None, headers, body)
}

fn settings(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn a_plugin_hook_signed_with_the_channels_secret_is_accepted() {
    let body = kit().fixture_bytes("message-send-text.json");
    let headers = signed_headers(SIGNING_SECRET, NOW_MS, &body);
    assert_eq!(
        verify_with(&credentials(true), &Map::new(), &headers, &body),
        Ok(())
    );
}

#[test]
fn a_wrong_secret_an_altered_body_or_another_timestamp_is_a_bad_signature() {
    let body = kit().fixture_bytes("message-send-text.json");
    let creds = credentials(true);
    let wrong = signed_headers("not-the-secret", NOW_MS, &body);
    assert_eq!(
        verify_with(&creds, &Map::new(), &wrong, &body),
        Err(VerifyError::BadSignature)
    );
    let good = signed_headers(SIGNING_SECRET, NOW_MS, &body);
    let altered = String::from_utf8(body.clone())
        .unwrap()
        .replace("blue", "red");
    let err = verify_with(&creds, &Map::new(), &good, altered.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "signature_invalid");
    let mut moved = good.clone();
    moved[1].1 = (NOW_MS + 1).to_string();
    assert_eq!(
        verify_with(&creds, &Map::new(), &moved, &body),
        Err(VerifyError::BadSignature)
    );
    let mut garbage = good;
    garbage[0].1 = "not hex".into();
    assert_eq!(
        verify_with(&creds, &Map::new(), &garbage, &body),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_signed_channel_requires_the_signature_and_its_timestamp() {
    let body = b"{}";
    let creds = credentials(true);
    let headers = signed_headers(SIGNING_SECRET, NOW_MS, body);
    let err = verify_with(&creds, &Map::new(), &headers[1..], body).unwrap_err();
    assert_eq!(err, VerifyError::MissingSignature("X-Crisp-Signature"));
    assert_eq!(err.code(), "signature_missing");
    let no_ts = vec![headers[0].clone()];
    assert_eq!(
        verify_with(&creds, &Map::new(), &no_ts, body),
        Err(VerifyError::MissingSignature("X-Crisp-Request-Timestamp"))
    );
}

#[test]
fn a_website_hook_channel_accepts_unsigned_hooks() {
    let body = kit().fixture_bytes("message-send-text.json");
    assert_eq!(
        verify_with(&credentials(false), &Map::new(), &[], &body),
        Ok(())
    );
    let listed = settings(json!({"allowed_source_ips": ["198.51.100.0/24"]}));
    assert_eq!(
        verify_with(&credentials(false), &listed, &[], &body),
        Err(VerifyError::SourceNotAllowed("203.0.113.5".into())),
        "the allow list still applies"
    );
}

#[test]
fn a_window_set_by_the_channel_refuses_stale_hooks_in_either_unit() {
    let body = b"{}";
    let creds = credentials(true);
    let window = settings(json!({"signature_tolerance_seconds": 300}));
    let check = |ts: i64, s: &Map<String, Value>| {
        verify_with(&creds, s, &signed_headers(SIGNING_SECRET, ts, body), body)
    };
    assert_eq!(check(NOW_MS - 300_000, &window), Ok(()));
    assert_eq!(
        check(NOW - 300, &window),
        Ok(()),
        "seconds are understood too"
    );
    assert_eq!(
        check(NOW_MS - 301_000, &window),
        Err(VerifyError::StaleTimestamp)
    );
    assert_eq!(
        check(NOW_MS + 301_000, &window).unwrap_err().code(),
        "timestamp_out_of_window"
    );
    assert_eq!(
        check(NOW_MS - 86_400_000, &Map::new()),
        Ok(()),
        "no window unless the channel sets one"
    );
}

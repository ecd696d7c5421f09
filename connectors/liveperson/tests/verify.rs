//! LivePerson's signature as LivePerson computes it (base64 HMAC of the body, `sha1=` or
//! `sha256=`), and the account and client id headers matching the channel.

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::{Connector, VerifyError};
use omnigate_liveperson::{signature, LivePerson};

const SECRET: &str = "lp-client-secret-0e4b";
const ACCOUNT: &str = "64467156";
const CLIENT: &str = "2f1c7a9e-4b3d-4e8a-9c6f-1d2e3f4a5b6c";

fn kit() -> Kit<'static> {
    Kit::new(&LivePerson, env!("CARGO_MANIFEST_DIR"))
}

fn headers(sig: String, account: &str, client: &str) -> Vec<(String, String)> {
    vec![
        ("x-liveperson-signature".into(), sig),
        ("x-liveperson-account-id".into(), account.into()),
        ("x-liveperson-client-id".into(), client.into()),
    ]
}

#[test]
fn sha1_and_sha256_signatures_of_the_channels_app_are_accepted() {
    let kit = kit();
    let body = kit.fixture_bytes("consumer-text.json");
    for sha256 in [false, true] {
        let h = headers(signature(SECRET, &body, sha256), ACCOUNT, CLIENT);
        assert_eq!(kit.verify(None, &h, &body), Ok(()), "sha256: {sha256}");
    }
    assert_eq!(LivePerson.example_credentials()["account_id"], ACCOUNT);
}

#[test]
fn a_forged_altered_or_malformed_signature_is_refused() {
    let kit = kit();
    let body = kit.fixture_bytes("agent-text.json");
    let forged = headers(signature("not-the-secret", &body, false), ACCOUNT, CLIENT);
    assert_eq!(
        kit.verify(None, &forged, &body),
        Err(VerifyError::BadSignature)
    );
    let good = headers(signature(SECRET, &body, false), ACCOUNT, CLIENT);
    let mut altered = body.clone();
    altered.push(b' ');
    assert_eq!(
        kit.verify(None, &good, &altered),
        Err(VerifyError::BadSignature)
    );
    let bare = signature(SECRET, &body, false).replacen("sha1=", "", 1);
    for value in [bare.as_str(), "md5=abc", "sha1=!!!", ""] {
        let h = headers(value.to_string(), ACCOUNT, CLIENT);
        assert_eq!(
            kit.verify(None, &h, &body).unwrap_err().code(),
            "signature_invalid",
            "{value}"
        );
    }
}

#[test]
fn a_genuine_notification_of_another_account_or_app_is_refused() {
    let kit = kit();
    let body = kit.fixture_bytes("consumer-text.json");
    let sig = signature(SECRET, &body, false);
    for (account, client) in [("99999999", CLIENT), (ACCOUNT, "another-app")] {
        let h = headers(sig.clone(), account, client);
        assert_eq!(kit.verify(None, &h, &body), Err(VerifyError::BadSignature));
    }
}

#[test]
fn each_missing_header_is_named() {
    let kit = kit();
    let body = kit.fixture_bytes("consumer-text.json");
    let full = headers(signature(SECRET, &body, false), ACCOUNT, CLIENT);
    let names = [
        "X-Liveperson-Signature",
        "X-Liveperson-Account-Id",
        "X-Liveperson-Client-Id",
    ];
    for (i, name) in names.into_iter().enumerate() {
        let mut h = full.clone();
        h.remove(i);
        assert_eq!(
            kit.verify(None, &h, &body),
            Err(VerifyError::MissingSignature(name))
        );
    }
}

#[test]
fn replies_are_refused_with_the_reason() {
    let content = serde_json::json!({"type": "text", "text": "hi"});
    let err = LivePerson.validate_reply(&content).unwrap_err();
    assert_eq!(err.code, "reply_not_supported");
    assert!(err.message.contains("Agent SDK"), "{}", err.message);
}

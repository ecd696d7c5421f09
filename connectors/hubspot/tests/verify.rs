//! HubSpot's v3 signature: the official test vector verifies; a forged, altered or stale request,
//! one signed for another URL, and one without the URL are refused.

use omnigate_connector_core::testing::{Kit, NOW};
use omnigate_connector_core::{VerifyError, REQUEST_URL_HEADER};
use omnigate_hubspot::{sign_for, signature, HubSpot};
use serde_json::json;

const VECTOR_SECRET: &str = "abbababa-beef-aaaa-bbbb-abbaabbaabba";
const VECTOR_URI: &str = "https://abbot-haacked-dev.ngrok.io/hubspot/webhook";
const VECTOR_TS: &str = "1670383777720";
const VECTOR_SIG: &str = "qXo1PASfXKd8KLy3T8tuwuZ2nmvAanXW+UjN3w+b4cg=";
const VECTOR_BODY: &str = r#"[{"eventId":3814323381,"subscriptionId":1870311,"portalId":22761544,"appId":1098266,"occurredAt":1670383777358,"subscriptionType":"conversation.newMessage","attemptNumber":0,"objectId":3624100517,"messageId":"e835c5f42631462ea4447601c8e1e394","messageType":"MESSAGE","changeFlag":"NEW_MESSAGE"}]"#;
const URL: &str = "https://gateway.example/hooks/k3y";

fn kit() -> Kit<'static> {
    Kit::new(&HubSpot, env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_official_test_vector_verifies() {
    assert_eq!(
        signature(
            VECTOR_SECRET,
            "POST",
            VECTOR_URI,
            VECTOR_BODY.as_bytes(),
            VECTOR_TS
        ),
        VECTOR_SIG
    );
    let kit = kit()
        .with_credentials(
            json!({"app_id": "1098266", "client_secret": VECTOR_SECRET, "access_token": "t"}),
        )
        .at(1_670_383_777_720 / 1000 + 10);
    let headers = vec![
        ("x-hubspot-signature-v3".to_string(), VECTOR_SIG.to_string()),
        (
            "x-hubspot-request-timestamp".to_string(),
            VECTOR_TS.to_string(),
        ),
        (REQUEST_URL_HEADER.to_string(), VECTOR_URI.to_string()),
    ];
    assert_eq!(kit.verify(None, &headers, VECTOR_BODY.as_bytes()), Ok(()));
    let events = kit.normalize(None, &headers, VECTOR_BODY.as_bytes());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].conversation_ref.as_deref(), Some("3624100517"));
}

#[test]
fn forged_altered_other_url_or_no_url_is_a_bad_signature() {
    let kit = kit();
    let body = kit.fixture_bytes("creation.json");
    let creds = kit.credentials.clone();
    let good = sign_for(URL, &creds, &body, NOW).unwrap().headers;
    assert_eq!(kit.verify(None, &good, &body), Ok(()));
    let mut forged_creds = creds.clone();
    forged_creds.insert("client_secret".into(), json!("not-the-secret"));
    let forged = sign_for(URL, &forged_creds, &body, NOW).unwrap().headers;
    assert_eq!(
        kit.verify(None, &forged, &body),
        Err(VerifyError::BadSignature)
    );
    let mut altered = body.clone();
    altered.push(b' ');
    assert_eq!(
        kit.verify(None, &good, &altered),
        Err(VerifyError::BadSignature)
    );
    // Signed for another host: the gateway's rebuilt URL is what counts, not a Host header.
    let mut moved = good.clone();
    moved[3].1 = "https://attacker.example/hooks/k3y".into();
    assert_eq!(
        kit.verify(None, &moved, &body),
        Err(VerifyError::BadSignature)
    );
    let without_url: Vec<_> = good.iter().take(3).cloned().collect();
    assert_eq!(
        kit.verify(None, &without_url, &body),
        Err(VerifyError::BadSignature)
    );
    assert_eq!(
        kit.verify(None, &good[2..], &body),
        Err(VerifyError::MissingSignature("X-HubSpot-Signature-v3"))
    );
}

#[test]
fn a_request_older_than_five_minutes_is_stale() {
    let kit = kit();
    let body = kit.fixture_bytes("creation.json");
    let creds = kit.credentials.clone();
    let at = |t: i64| sign_for(URL, &creds, &body, t).unwrap().headers;
    assert_eq!(kit.verify(None, &at(NOW - 299), &body), Ok(()));
    assert_eq!(
        kit.verify(None, &at(NOW - 301), &body),
        Err(VerifyError::StaleTimestamp)
    );
}

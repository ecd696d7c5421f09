//! Delivery signatures checked against a known answer, not only with the crate that signs them:
//! an HMAC written here from the Standard Webhooks specification reproduces the specification's
//! own example, and then verifies the `webhook-signature` of a real delivery.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::helpers::*;

/// `v1,` + base64(HMAC-SHA256(base64-decoded secret after `whsec_`, "{id}.{timestamp}.{body}")).
fn sign(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[test]
fn the_independent_hmac_reproduces_the_specification_example() {
    assert_eq!(
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[tokio::test]
async fn a_delivery_carries_the_signature_the_specification_computes() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, hook) = app.approved_naver_channel().await;
    assert_eq!(
        post_hook(&hook, naver_text("u1", "signed")).await.status(),
        200
    );
    wait_received(&helpdesk, &secret, 1).await;
    let requests = helpdesk.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    let header = |name: &str| {
        r.headers
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let expected = sign(&secret, &id, &timestamp, &r.body);
    let given = header("webhook-signature");
    assert!(
        given.split(' ').any(|s| s == expected),
        "{given} holds {expected}"
    );
    let now = chrono::Utc::now().timestamp();
    let sent: i64 = timestamp.parse().unwrap();
    assert!(
        (now - sent).abs() < 60,
        "the timestamp is in seconds: {sent}"
    );
}

//! Shared by the test files: a Tidio channel, signed requests, fixtures.
#![allow(dead_code)]

use omnigate_connector_core::{
    ChannelContext, Connector, InboundRequest, NormalizedEvent, VerifyError,
};
use omnigate_tidio::{signature_header, Tidio};
use serde_json::{json, Map, Value};

pub const SECRET: &str = "tidio-webhook-secret-6f1a";
/// The receive time, in seconds.
pub const NOW: i64 = 1_795_170_010;

pub fn credentials() -> Map<String, Value> {
    json!({"webhook_secret": SECRET})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Headers as Tidio sends them, signed at `t` with each of `secrets`.
pub fn signed_headers(secrets: &[&str], t: i64, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("user-agent".into(), "Tidio Webhook".into()),
        (
            "x-tidio-signature".into(),
            signature_header(secrets, t, body),
        ),
    ]
}

pub fn verify_with(
    headers: &[(String, String)],
    body: &[u8],
    settings: &Map<String, Value>,
) -> Result<(), VerifyError> {
    let creds = credentials();
    let channel = ChannelContext {
        credentials: &creds,
        settings,
    };
    let req = InboundRequest {
        topic: None,
        headers,
        body,
        source_ip: "203.0.113.5".parse().ok(),
        received_at: NOW,
    };
    Tidio.verify(&req, &channel)
}

pub fn normalize_bytes(body: &[u8]) -> NormalizedEvent {
    let creds = credentials();
    let empty = Map::new();
    let channel = ChannelContext {
        credentials: &creds,
        settings: &empty,
    };
    let req = InboundRequest {
        topic: None,
        headers: &[],
        body,
        source_ip: None,
        received_at: NOW,
    };
    let mut events = Tidio.normalize(&req, &channel);
    assert_eq!(events.len(), 1, "one Tidio webhook is one event");
    events.remove(0)
}

pub fn fixture(name: &str) -> NormalizedEvent {
    normalize_bytes(&fixture_bytes(name))
}

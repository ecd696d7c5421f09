//! Shared by the test files: a Chatwoot channel, signed requests, fixtures.
#![allow(dead_code)]

use omnigate_chatwoot::{signature, Chatwoot};
use omnigate_connector_core::{
    ChannelContext, Connector, InboundRequest, NormalizedEvent, VerifyError,
};
use serde_json::{json, Map, Value};

pub const SECRET: &str = "cw-webhook-secret-5b1d";
pub const NOW: i64 = 1_795_166_100;
pub const DELIVERY: &str = "6f0e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b";

pub fn credentials() -> Map<String, Value> {
    json!({"base_url": "https://chat.northwind.example", "account_id": 7,
           "api_access_token": "cw-agent-token", "webhook_secret": SECRET})
    .as_object()
    .cloned()
    .unwrap_or_default()
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Headers as Chatwoot sends them for `body`, signed at `ts` with `secret`.
pub fn signed_headers(secret: &str, ts: i64, body: &[u8]) -> Vec<(String, String)> {
    let ts = ts.to_string();
    vec![
        ("x-chatwoot-signature".into(), signature(secret, &ts, body)),
        ("x-chatwoot-timestamp".into(), ts),
        ("x-chatwoot-delivery".into(), DELIVERY.into()),
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
    Chatwoot.verify(&req, &channel)
}

pub fn normalize_with(headers: &[(String, String)], body: &[u8]) -> Vec<NormalizedEvent> {
    let creds = credentials();
    let empty = Map::new();
    let channel = ChannelContext {
        credentials: &creds,
        settings: &empty,
    };
    let req = InboundRequest {
        topic: None,
        headers,
        body,
        source_ip: None,
        received_at: NOW,
    };
    Chatwoot.normalize(&req, &channel)
}

/// The one event a fixture becomes, delivered with [`DELIVERY`].
pub fn fixture(name: &str) -> NormalizedEvent {
    let body = fixture_bytes(name);
    let mut events = normalize_with(&signed_headers(SECRET, NOW, &body), &body);
    assert_eq!(events.len(), 1, "one Chatwoot webhook is one event");
    events.remove(0)
}

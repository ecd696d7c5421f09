//! Shared by the test files: a Tawk.to channel, signed requests, fixtures.
#![allow(dead_code)]

use omnigate_connector_core::{
    ChannelContext, Connector, InboundRequest, NormalizedEvent, VerifyError,
};
use omnigate_tawkto::{signature, Tawkto};
use serde_json::{json, Map, Value};

pub const SECRET: &str = "tawk-webhook-secret-3e9a";
pub const EVENT_ID: &str = "2f8e6d4c-1a3b-4c5d-8e7f-9a0b1c2d3e4f";
pub const CHAT: &str = "4c2a7e10-8b3f-11f1-a6d2-3b9e5f7c1d24";

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

/// Headers as Tawk.to sends them for `body`, signed with `secret`.
pub fn signed_headers(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("x-tawk-signature".into(), signature(secret, body)),
        ("x-hook-event-id".into(), EVENT_ID.into()),
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
        received_at: 1_795_170_000,
    };
    Tawkto.verify(&req, &channel)
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
        received_at: 1_795_170_000,
    };
    Tawkto.normalize(&req, &channel)
}

/// The events a fixture becomes, delivered with [`EVENT_ID`].
pub fn fixture(name: &str) -> Vec<NormalizedEvent> {
    let body = fixture_bytes(name);
    normalize_with(&signed_headers(SECRET, &body), &body)
}

//! Shared by the test files: a Crisp channel (signed plugin hooks or unsigned website hooks),
//! signed requests, fixtures.
#![allow(dead_code)]

use omnigate_connector_core::{
    ChannelContext, Connector, InboundRequest, NormalizedEvent, VerifyError,
};
use omnigate_crisp::{signature, Crisp};
use serde_json::{json, Map, Value};

pub const WEBSITE: &str = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
pub const SESSION: &str = "session_0f9e7b52-3c1a-4d8e-b6f2-91a4c7e5d203";
pub const SIGNING_SECRET: &str = "crisp-plugin-signing-secret-71c2";
/// The receive time, in seconds; Crisp's own timestamps are in milliseconds.
pub const NOW: i64 = 1_795_170_010;

/// A plugin-hook channel (`signed`) or a website-hook one.
pub fn credentials(signed: bool) -> Map<String, Value> {
    let mut c = json!({"website_id": WEBSITE, "identifier": "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b",
                       "key": "crisp-plugin-key-0a1b2c3d"});
    if signed {
        c["signing_secret"] = json!(SIGNING_SECRET);
    }
    c.as_object().cloned().unwrap_or_default()
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Headers as a Crisp plugin hook carries them, signed at `ts` (milliseconds) with `secret`.
pub fn signed_headers(secret: &str, ts: i64, body: &[u8]) -> Vec<(String, String)> {
    let ts = ts.to_string();
    vec![
        ("x-crisp-signature".into(), signature(secret, &ts, body)),
        ("x-crisp-request-timestamp".into(), ts),
        (
            "x-crisp-hook-origin".into(),
            "plugin/urn:omnigate:test".into(),
        ),
    ]
}

pub fn verify_with(
    creds: &Map<String, Value>,
    settings: &Map<String, Value>,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), VerifyError> {
    let channel = ChannelContext {
        credentials: creds,
        settings,
    };
    let req = InboundRequest {
        topic: None,
        headers,
        body,
        source_ip: "203.0.113.5".parse().ok(),
        received_at: NOW,
    };
    Crisp.verify(&req, &channel)
}

pub fn normalize_bytes(body: &[u8]) -> NormalizedEvent {
    let creds = credentials(true);
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
    let mut events = Crisp.normalize(&req, &channel);
    assert_eq!(events.len(), 1, "one Crisp hook is one event");
    events.remove(0)
}

pub fn fixture(name: &str) -> NormalizedEvent {
    normalize_bytes(&fixture_bytes(name))
}

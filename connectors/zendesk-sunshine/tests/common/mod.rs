//! Shared by the test files: run the connector on one body, read a fixture.
#![allow(dead_code)]

use omnigate_connector_core::{ChannelContext, Connector, InboundRequest, NormalizedEvent};
use omnigate_zendesk_sunshine::ZendeskSunshine;
use serde_json::{Map, Value};

/// The conversation most fixtures are about, and its visitor.
pub const CONVERSATION: &str = "c0ffee0123456789abcdef01";
pub const USER: &str = "5e7a1b2c3d4e5f6a7b8c9d01";

/// Normalizes `body` as the gateway would after verification.
pub fn normalize_bytes(body: &[u8]) -> Vec<NormalizedEvent> {
    let empty = Map::new();
    let channel = ChannelContext {
        credentials: &empty,
        settings: &empty,
    };
    let req = InboundRequest {
        topic: None,
        headers: &[],
        body,
        source_ip: None,
        received_at: 0,
    };
    let events = ZendeskSunshine.normalize(&req, &channel);
    assert!(!events.is_empty(), "a webhook always yields an event");
    events
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture(name: &str) -> Vec<NormalizedEvent> {
    normalize_bytes(&fixture_bytes(name))
}

/// The only event of a one-event fixture.
pub fn single(name: &str) -> NormalizedEvent {
    let mut events = fixture(name);
    assert_eq!(events.len(), 1, "{name} holds one event");
    events.remove(0)
}

pub fn detail(e: &NormalizedEvent) -> Value {
    Value::Object(e.provider_event.detail.clone())
}

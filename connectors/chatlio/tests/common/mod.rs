//! Shared by the test files: run the connector on one body, read a fixture.

use omnigate_chatlio::Chatlio;
use omnigate_connector_core::{ChannelContext, Connector, InboundRequest, NormalizedEvent};
use serde_json::Map;

/// Normalizes `body` as if it arrived on `/hooks/{key}/{topic}`.
pub fn normalize_bytes(topic: Option<&str>, body: &[u8]) -> NormalizedEvent {
    let empty = Map::new();
    let channel = ChannelContext {
        credentials: &empty,
        settings: &empty,
    };
    let req = InboundRequest {
        topic,
        headers: &[],
        body,
        source_ip: None,
        received_at: 0,
    };
    let mut events = Chatlio.normalize(&req, &channel);
    assert_eq!(events.len(), 1, "one Chatlio webhook is one event");
    events.remove(0)
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

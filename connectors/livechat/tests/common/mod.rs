//! Shared by the test files: run the connector on one body, read a fixture.
#![allow(dead_code)]

use omnigate_connector_core::{ChannelContext, Connector, InboundRequest, NormalizedEvent};
use omnigate_livechat::LiveChat;
use serde_json::{Map, Value};

/// The chat most fixtures are about, and its customer and agent.
pub const CHAT: &str = "RZ4M2XK7QP";
pub const CUSTOMER: &str = "b3d7e2f1-4c5a-4e8b-9f01-2a3b4c5d6e7f";
pub const AGENT: &str = "ana.silva@shop.example.com";

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
    let events = LiveChat.normalize(&req, &channel);
    assert!(!events.is_empty(), "a webhook always yields an event");
    for e in &events {
        assert!(
            !e.provider_event.detail.contains_key("secret_key"),
            "the webhook secret is never copied into an event"
        );
    }
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
    assert_eq!(events.len(), 1, "{name} yields one event");
    events.remove(0)
}

pub fn detail(e: &NormalizedEvent) -> Value {
    Value::Object(e.provider_event.detail.clone())
}

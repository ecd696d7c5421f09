//! Naver webhook normalization, tested on fixture files written in the documented shapes
//! (`tests/fixtures/`): one module per family of events, plus hostile and drifting inputs.

mod echo;
mod handover;
mod hostile;
mod lifecycle;
mod payment;
mod profile;
mod received;
mod robustness;

use omnigate_connector_core::{ChannelContext, Connector, InboundRequest, NormalizedEvent};
use omnigate_naver_talktalk::NaverTalkTalk;
use serde_json::{Map, Value};

/// The documented example user.
pub const USER: &str = "al-2eGuGr5WQOnco1_V-FQ";

pub fn normalize_bytes(body: &[u8]) -> NormalizedEvent {
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
    let mut events = NaverTalkTalk.normalize(&req, &channel);
    assert_eq!(events.len(), 1, "one Naver webhook is one event");
    events.remove(0)
}

pub fn normalize_json(body: &Value) -> NormalizedEvent {
    normalize_bytes(body.to_string().as_bytes())
}

pub fn fixtures_dir() -> String {
    format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/{name}", fixtures_dir());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture(name: &str) -> NormalizedEvent {
    normalize_bytes(&fixture_bytes(name))
}

/// Every fixture file name, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// The event's detail as a JSON value, for concise assertions.
pub fn detail(e: &NormalizedEvent) -> Value {
    Value::Object(e.provider_event.detail.clone())
}

/// Asserts the contact is the user and nothing else.
pub fn assert_contact_is_only(e: &NormalizedEvent, user: &str) {
    let c = e.contact.as_ref().expect("a contact");
    assert_eq!(c.provider_ref.as_deref(), Some(user));
    assert_eq!((&c.name, &c.email, &c.phone), (&None, &None, &None));
    assert_eq!(e.conversation_ref.as_deref(), Some(user));
}

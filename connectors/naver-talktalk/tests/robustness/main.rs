//! Naver normalization under hostile and drifting inputs: bodies that are not webhooks,
//! values of the wrong shape, unknown fields added to every fixture. Normalize is total.

mod drift;
mod hostile;

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::NormalizedEvent;
use omnigate_naver_talktalk::NaverTalkTalk;
use serde_json::Value;

pub use omnigate_connector_core::testing::detail;

pub fn kit() -> Kit<'static> {
    Kit::new(&NaverTalkTalk, env!("CARGO_MANIFEST_DIR"))
}

/// The one event a webhook body becomes (Naver signs nothing: every body is genuine).
pub fn normalize_bytes(body: &[u8]) -> NormalizedEvent {
    kit().receive_one(None, body)
}

pub fn normalize_json(body: &Value) -> NormalizedEvent {
    normalize_bytes(body.to_string().as_bytes())
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    kit().fixture_bytes(name)
}

pub fn fixture(name: &str) -> NormalizedEvent {
    kit().single(name)
}

/// Every fixture file name, sorted.
pub fn fixture_names() -> Vec<String> {
    kit()
        .all_fixtures()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.ends_with(".json"))
        .collect()
}

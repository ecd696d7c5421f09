//! Naver webhook normalization, tested on fixture files written in the documented shapes
//! (`tests/fixtures/`): one module per family of events. Hostile and drifting inputs are in
//! `tests/robustness/`.

mod echo;
mod handover;
mod lifecycle;
mod payment;
mod profile;
mod received;

use omnigate_connector_core::testing::Kit;
use omnigate_connector_core::NormalizedEvent;
use omnigate_naver_talktalk::NaverTalkTalk;
use serde_json::Value;

pub use omnigate_connector_core::testing::detail;

/// The documented example user.
pub const USER: &str = "al-2eGuGr5WQOnco1_V-FQ";

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

/// Asserts the contact is the user and nothing else.
pub fn assert_contact_is_only(e: &NormalizedEvent, user: &str) {
    let c = e.contact.as_ref().expect("a contact");
    assert_eq!(c.provider_ref.as_deref(), Some(user));
    assert_eq!((&c.name, &c.email, &c.phone), (&None, &None, &None));
    assert_eq!(e.conversation_ref.as_deref(), Some(user));
}

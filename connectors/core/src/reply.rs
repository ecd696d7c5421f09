//! The outbound half of the contract: what a provider can send, how a helpdesk reply is checked
//! against the provider's limits, and how it becomes provider API calls. Still pure: the
//! connector describes each HTTP call and reads each answer; the gateway performs them.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

/// What a provider can do, shown at `GET /v1/providers`.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// Inbound topics (`/hooks/{key}/{topic}`); empty: the bare URL only.
    pub topics: &'static [&'static str],
    /// Whether replies can be relayed at all.
    pub replies: bool,
    /// Outbound content types the relay accepts (`text`, `image`, ...).
    pub content_types: &'static [&'static str],
    /// The provider's send-rate limit, when it has one.
    pub rate_limit: Option<RateLimit>,
}

/// At most `max_calls` provider calls in any window of `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub max_calls: u32,
    #[serde(serialize_with = "as_millis")]
    pub window: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}ms", d.as_millis()))
}

/// A reply refused before anything is sent: a stable code naming the rule or limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReplyError {
    pub code: &'static str,
    pub message: String,
}

impl ReplyError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ReplyError {
            code,
            message: message.into(),
        }
    }
}

/// Everything a connector needs to build calls for one reply.
#[derive(Debug, Clone)]
pub struct ReplyContext<'a> {
    pub credentials: &'a Map<String, Value>,
    /// The provider API base URL (configurable so tests and proxies can point elsewhere).
    pub api_base: &'a str,
    /// The provider's key of the conversation (Naver: the user id).
    pub recipient: &'a str,
}

/// The HTTP method of a provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP call to the provider: a reply's send, or a thin event's fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCall {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What one call's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Done; `value` carries what a later step needs (e.g. an uploaded image id).
    Ok { value: Option<String> },
    /// Worth trying again later (network, 5xx, throttling).
    Retryable { code: String, message: String },
    /// Will not succeed by retrying (the user cannot receive messages, bad key, ...).
    Permanent { code: String, message: String },
}

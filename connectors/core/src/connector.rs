//! The connector contract. A connector is pure: it verifies and normalizes a webhook from
//! (headers, raw body, channel configuration) and never does I/O, so it is tested on fixtures.

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::event::NormalizedEvent;
use crate::reply::{CallOutcome, Capabilities, ProviderCall, ReplyContext, ReplyError};

/// What the gateway knows of one inbound webhook request.
#[derive(Debug, Clone)]
pub struct InboundRequest<'a> {
    /// The topic path segment of `/hooks/{key}/{topic}`, when the URL had one.
    pub topic: Option<&'a str>,
    /// Header names in lower case.
    pub headers: &'a [(String, String)],
    /// The body exactly as received.
    pub body: &'a [u8],
    /// The client address (after the configured proxy handling), when known.
    pub source_ip: Option<IpAddr>,
    /// When the gateway received the request, in seconds since the Unix epoch: the clock that
    /// signed-timestamp windows are checked against (verify stays a pure function).
    pub received_at: i64,
}

impl InboundRequest<'_> {
    /// The first value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The channel a webhook arrived for: its decrypted credentials and non-secret settings.
#[derive(Debug, Clone)]
pub struct ChannelContext<'a> {
    pub credentials: &'a Map<String, Value>,
    pub settings: &'a Map<String, Value>,
}

/// Why a webhook was refused before anything was stored. Each maps to a stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the request's source address {0} is not in the channel's allow list")]
    SourceNotAllowed(String),
    #[error("the signature header {0} is missing")]
    MissingSignature(&'static str),
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signed timestamp is outside the accepted window")]
    StaleTimestamp,
}

impl VerifyError {
    /// The stable machine-readable code for the problem body.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::SourceNotAllowed(_) => "source_not_allowed",
            VerifyError::MissingSignature(_) => "signature_missing",
            VerifyError::BadSignature => "signature_invalid",
            VerifyError::StaleTimestamp => "timestamp_out_of_window",
        }
    }
}

/// Why channel credentials or settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What the operator pastes into the provider once approval is requested, beyond the webhook
/// URL(s) the gateway builds itself.
pub type ApprovalExtras = Map<String, Value>;

/// One provider integration.
pub trait Connector: Send + Sync + 'static {
    /// The provider id used in the API and the event model (`naver_talktalk`).
    fn provider(&self) -> &'static str;

    /// The topics of `/hooks/{key}/{topic}` this provider uses. Empty: the bare URL only.
    fn topics(&self) -> &'static [&'static str] {
        &[]
    }

    /// Credential fields that are secrets: stored encrypted, shown masked.
    fn secret_fields(&self) -> &'static [&'static str];

    /// Checks credentials (all fields present and well-formed) when a channel is created or
    /// changed.
    fn validate_credentials(&self, credentials: &Map<String, Value>) -> Result<(), ConfigError>;

    /// Checks non-secret settings (allow lists, options).
    fn validate_settings(&self, settings: &Map<String, Value>) -> Result<(), ConfigError>;

    /// Provider-specific values returned with the approval request (Naver: chat URL).
    /// `channel_key` is a stable, non-secret identifier the gateway generated for the channel.
    fn approval_extras(
        &self,
        credentials: &Map<String, Value>,
        channel_key: &str,
    ) -> ApprovalExtras {
        let _ = (credentials, channel_key);
        Map::new()
    }

    /// Verifies the request (signature, source address) on the raw bytes before any parsing.
    fn verify(
        &self,
        req: &InboundRequest<'_>,
        channel: &ChannelContext<'_>,
    ) -> Result<(), VerifyError>;

    /// Turns a verified request into events. Total: whatever the body, the result is at least one
    /// event (`provider.unrecognized` for anything no mapping understands).
    fn normalize(
        &self,
        req: &InboundRequest<'_>,
        channel: &ChannelContext<'_>,
    ) -> Vec<NormalizedEvent>;

    /// The body as the gateway may keep it and forward it (`data.raw`, `provider.unrecognized`)
    /// after a successful `verify`. Providers that put a secret inside the body (LiveChat's
    /// `secret_key`) return a copy without it; `None` means the body must not be kept at all.
    /// The default keeps the body as received.
    fn redact_raw<'b>(&self, body: &'b [u8]) -> Option<Cow<'b, [u8]>> {
        Some(Cow::Borrowed(body))
    }

    /// What the provider can do. The default: inbound only, no replies.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: self.topics(),
            replies: false,
            content_types: &[],
            rate_limit: None,
        }
    }

    /// The provider API base used when the operator configures none.
    fn default_api_base(&self) -> &'static str {
        ""
    }

    /// Checks a reply's `content` against the provider's rules and limits before anything is
    /// queued. The default refuses: the provider cannot receive replies.
    fn validate_reply(&self, content: &Value) -> Result<(), ReplyError> {
        let _ = content;
        Err(ReplyError::new(
            "reply_not_supported",
            format!("{} has no API to send replies", self.provider()),
        ))
    }

    /// The next provider call for a reply, given the values returned by the calls made so far
    /// (`done[i]` is call i's `CallOutcome::Ok` value); `Ok(None)` once the reply is sent.
    fn next_reply_call(
        &self,
        ctx: &ReplyContext<'_>,
        content: &Value,
        done: &[Option<String>],
    ) -> Result<Option<ProviderCall>, ReplyError> {
        let _ = (ctx, done);
        self.validate_reply(content).map(|()| None)
    }

    /// Reads the answer to call number `step` of a reply.
    fn interpret_reply(&self, step: usize, status: u16, body: &[u8]) -> CallOutcome {
        let _ = (step, body);
        if (200..300).contains(&status) {
            CallOutcome::Ok { value: None }
        } else if status == 429 || status >= 500 {
            CallOutcome::Retryable {
                code: format!("http_{status}"),
                message: "the provider answered with a temporary error".into(),
            }
        } else {
            CallOutcome::Permanent {
                code: format!("http_{status}"),
                message: "the provider refused the call".into(),
            }
        }
    }
}

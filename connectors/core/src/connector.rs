//! The connector contract. A connector is pure: it verifies and normalizes a webhook from
//! (headers, raw body, channel configuration) and never does I/O, so it is tested on fixtures.

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::credentials::{self, CredentialField};
use crate::enrich::{EnrichContext, Enrichment};
use crate::event::{Content, NormalizedEvent};
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

/// The pseudo-header through which the gateway passes the URL the provider called: rebuilt from
/// `server.public_url` and the request's path and query, never from the Host header (which a
/// client or a proxy chooses). A header of this name sent by the client is dropped first.
/// Providers that sign the URL (HubSpot v3) read it with [`InboundRequest::url`].
pub const REQUEST_URL_HEADER: &str = "x-omnigate-request-url";

impl InboundRequest<'_> {
    /// The URL the provider called, as the gateway rebuilt it; `None` when it was not given.
    pub fn url(&self) -> Option<&str> {
        self.header(REQUEST_URL_HEADER)
    }

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

/// What a provider's echo of an outbound message must match among the replies omnigate
/// relayed in the same conversation: the reply's content type and, when set, its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoKey {
    pub content_type: &'static str,
    pub text: Option<String>,
}

impl EchoKey {
    /// The rule every provider shares: a text echo is a text reply with the same text, an
    /// image echo an image reply; other content is never attributed.
    pub fn plain(content: &Content) -> Option<EchoKey> {
        match content {
            Content::Text { text } => Some(EchoKey {
                content_type: "text",
                text: Some(text.clone()),
            }),
            Content::Image { .. } => Some(EchoKey {
                content_type: "image",
                text: None,
            }),
            _ => None,
        }
    }
}

/// A webhook request exactly as the provider would send it for a channel: the inverse of
/// `verify`, used by tests, fuzzing and tools that stand in for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Header names in lower case, as the gateway passes them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One provider integration.
pub trait Connector: Send + Sync + 'static {
    /// The provider id used in the API and the event model (`naver_talktalk`).
    fn provider(&self) -> &'static str;

    /// The topics of `/hooks/{key}/{topic}` this provider uses. Empty: the bare URL only.
    /// Derived from [`Connector::capabilities`], where a provider with topics states them.
    fn topics(&self) -> &'static [&'static str] {
        self.capabilities().topics
    }

    /// The credential fields a channel takes: name, required, secret or outbound URL, help
    /// text and where to find the value. The API and console show them; the defaults of
    /// [`Connector::outbound_urls`] and [`Connector::example_credentials`] read them.
    fn credential_fields(&self) -> &'static [CredentialField] {
        &[]
    }

    /// Credential fields that are secrets: stored encrypted, shown masked. Must name the
    /// [`Connector::credential_fields`] of kind `Secret` (the registry's tests check it).
    fn secret_fields(&self) -> &'static [&'static str];

    /// The credentials that are addresses the gateway will call, as (field, URL); each is
    /// checked against loopback, private and metadata addresses when a channel is registered.
    /// The default: the declared fields of kind `OutboundUrl`.
    fn outbound_urls<'c>(
        &self,
        credentials: &'c Map<String, Value>,
    ) -> Vec<(&'static str, &'c str)> {
        credentials::outbound_urls(self.credential_fields(), credentials)
    }

    /// Credentials of a working example channel (fake values that pass
    /// `validate_credentials`), for documentation, tests and fuzzing. The default: every
    /// declared field's example.
    fn example_credentials(&self) -> Map<String, Value> {
        credentials::example(self.credential_fields())
    }

    /// Makes `body` into the request the provider would send at `at` (seconds since the epoch)
    /// on a channel with `credentials`: signature headers, or a secret inside the body. `None`
    /// when this body cannot be sent genuinely (LiveChat's secret needs a JSON object). The
    /// default, for providers that sign nothing: the body alone.
    fn sign_request(
        &self,
        credentials: &Map<String, Value>,
        body: &[u8],
        at: i64,
    ) -> Option<SignedRequest> {
        let _ = (credentials, at);
        Some(SignedRequest {
            headers: Vec::new(),
            body: body.to_vec(),
        })
    }

    /// Which relayed reply an outbound message with `content` can be the provider's echo of.
    /// The default: a text echo is a text reply with the same text, an image echo an image
    /// reply; other content is never attributed. A provider that echoes richer replies as
    /// content omnigate does not model (Naver's cards) maps that content here.
    fn echo_key(&self, content: &Content) -> Option<EchoKey> {
        EchoKey::plain(content)
    }

    /// The reply `content` relayed when a helpdesk resolves a conversation, when the provider
    /// has a notion of handing it back (Naver: the chatbot takes the thread back). The default:
    /// nothing is sent.
    fn resolve_action(&self) -> Option<Value> {
        None
    }

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

    /// What the provider can do. The default: inbound on the bare URL only, no replies.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: false,
            content_types: &[],
            rate_limit: None,
        }
    }

    /// The provider API base used when the operator configures none: the one place it is
    /// stated (`providers.<id>.api_base` in the configuration only overrides it).
    fn default_api_base(&self) -> &'static str {
        ""
    }

    /// Whether `event` is thin: it names what the helpdesk needs (a message's text, a
    /// contact's name) without carrying it, so the gateway fills it in through
    /// [`Connector::enrichment_call`] before forwarding it. The default: no event is thin.
    fn needs_enrichment(&self, event: &NormalizedEvent) -> bool {
        let _ = event;
        false
    }

    /// The provider call that fills in a thin `event`; a refusal when it cannot be built (the
    /// channel lacks the credential, the ids are unusable), forwarded as the reason.
    fn enrichment_call(
        &self,
        ctx: &EnrichContext<'_>,
        event: &NormalizedEvent,
    ) -> Result<ProviderCall, Enrichment> {
        let _ = (ctx, event);
        Err(Enrichment::refused(
            "not_supported",
            format!("{} events are never thin", self.provider()),
        ))
    }

    /// Reads the answer to [`Connector::enrichment_call`] into the event.
    fn read_enrichment(&self, event: &NormalizedEvent, status: u16, body: &[u8]) -> Enrichment {
        let _ = (event, body);
        Enrichment::from_status(status, self.provider())
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

//! Tawk.to connector.
//!
//! Tawk.to signs each webhook: `X-Tawk-Signature` is the hex HMAC-SHA1 of the raw body with
//! the webhook's secret key, checked before anything is parsed, in constant time. No timestamp
//! is signed; `X-Hook-Event-Id` (the same on every retry, for up to 12 hours) is the
//! de-duplication key. Conversations are keyed by the chat id.
//!
//! | Tawk.to event | omnigate type |
//! |---|---|
//! | `chat:start` | `conversation.opened`, then the first message as `message.received` (visitor) or `message.echo` (agent) |
//! | `chat:end` | `conversation.closed` |
//! | `chat:transcript_created` | `conversation.transcript` (lines in `detail.messages`) |
//! | `ticket:create` | `message.offline` (no conversation) |
//! | anything else | `provider.unrecognized` |
//!
//! Tawk.to sends no webhook per message and has no API to post into a live chat, so replies
//! are not supported (the relay answers 409 `reply_not_supported`). See the crate's README.md.

mod config;
mod normalize;
mod verify;

use omnigate_connector_core::{
    ChannelContext, ConfigError, Connector, CredentialField, InboundRequest, NormalizedEvent,
    SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

pub use verify::{signature, EXAMPLE_EVENT_ID};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "tawkto";

/// The Tawk.to connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tawkto;

impl Connector for Tawkto {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::WEBHOOK_SECRET]
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        config::FIELDS
    }

    fn sign_request(
        &self,
        credentials: &Map<String, Value>,
        body: &[u8],
        _at: i64,
    ) -> Option<SignedRequest> {
        verify::sign(credentials, body)
    }

    fn validate_credentials(&self, credentials: &Map<String, Value>) -> Result<(), ConfigError> {
        config::validate_credentials(credentials)
    }

    fn validate_settings(&self, settings: &Map<String, Value>) -> Result<(), ConfigError> {
        omnigate_connector_core::allowlist::validate(settings)
    }

    fn verify(
        &self,
        req: &InboundRequest<'_>,
        channel: &ChannelContext<'_>,
    ) -> Result<(), VerifyError> {
        verify::verify(req, channel)
    }

    fn normalize(
        &self,
        req: &InboundRequest<'_>,
        _channel: &ChannelContext<'_>,
    ) -> Vec<NormalizedEvent> {
        normalize::normalize(req.body, req.header(verify::EVENT_ID_HEADER))
    }

    // Replies keep the trait's defaults: capabilities without replies, and validate_reply
    // refusing with `reply_not_supported`. Tawk.to's REST API can read chats but not post
    // into one.
}

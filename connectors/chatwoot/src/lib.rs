//! Chatwoot connector.
//!
//! Chatwoot signs each webhook: `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256 of
//! "{X-Chatwoot-Timestamp}.{body}">` with the webhook's secret, checked on the raw bytes in
//! constant time, with the timestamp within `settings.signature_tolerance_seconds` (default
//! 300) of the receive time either way. `X-Chatwoot-Delivery` (the same on every retry) is the
//! de-duplication key. Conversations are keyed by Chatwoot's conversation (display) id.
//!
//! | Chatwoot event | omnigate type |
//! |---|---|
//! | `message_created`, `incoming`, `private: false` | `message.received` |
//! | `message_created`, `outgoing` / `template`, `private: false` | `message.echo` (`origin: "provider"`, or `"omnigate"` for a relayed reply) |
//! | `message_created`, private note or activity line | `provider.unrecognized` (never a visitor message) |
//! | `conversation_created`, `conversation_opened` | `conversation.opened` |
//! | `conversation_status_changed` `open` / `resolved` | `conversation.opened` / `conversation.closed` |
//! | `conversation_resolved` | `conversation.closed` |
//! | `contact_created`, `contact_updated` | `contact.updated` |
//! | anything else (`message_updated`, `conversation_updated`, `pending`/`snoozed`, typing, `webwidget_triggered`, ...) | `provider.unrecognized` |
//!
//! Replies are plain text, sent as outgoing public messages through Chatwoot's messages API
//! with the channel's `api_access_token`. See the crate's README.md for the details.

mod config;
mod normalize;
mod reply;
mod verify;

use omnigate_connector_core::{
    CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, CredentialField,
    InboundRequest, NormalizedEvent, ProviderCall, ReplyContext, ReplyError, SignedRequest,
    VerifyError,
};
use serde_json::{Map, Value};

pub use config::{DEFAULT_TOLERANCE_SECONDS, TOLERANCE_SETTING};
pub use verify::{signature, EXAMPLE_DELIVERY};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "chatwoot";

/// The Chatwoot connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Chatwoot;

impl Connector for Chatwoot {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::API_ACCESS_TOKEN, config::WEBHOOK_SECRET]
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        config::FIELDS
    }

    fn sign_request(
        &self,
        credentials: &Map<String, Value>,
        body: &[u8],
        at: i64,
    ) -> Option<SignedRequest> {
        verify::sign(credentials, body, at)
    }

    fn validate_credentials(&self, credentials: &Map<String, Value>) -> Result<(), ConfigError> {
        config::validate_credentials(credentials)
    }

    fn validate_settings(&self, settings: &Map<String, Value>) -> Result<(), ConfigError> {
        config::validate_settings(settings)
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
        normalize::normalize(req.body, req.header(verify::DELIVERY_HEADER))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // Chatwoot documents no send-rate limit (self-hosted installations set their own).
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://app.chatwoot.com"
    }

    fn validate_reply(&self, content: &Value) -> Result<(), ReplyError> {
        reply::validate(content).map(|_| ())
    }

    fn next_reply_call(
        &self,
        ctx: &ReplyContext<'_>,
        content: &Value,
        done: &[Option<String>],
    ) -> Result<Option<ProviderCall>, ReplyError> {
        reply::next_call(ctx, content, done)
    }

    fn interpret_reply(&self, _step: usize, status: u16, body: &[u8]) -> CallOutcome {
        reply::interpret(status, body)
    }
}

//! JivoChat connector (Jivo's Bot API).
//!
//! Jivo posts each chat event to the bot provider's URL, which is the channel's webhook URL.
//! Jivo signs nothing, so the unguessable webhook key in the URL is the protection (as for
//! Chatlio), with the optional source allow list. Every event carries an `id`, the
//! de-duplication key.
//!
//! | Jivo event | omnigate type |
//! |---|---|
//! | `CLIENT_MESSAGE` | `message.received` |
//! | `AGENT_UNAVAILABLE` | `conversation.unanswered` (no human agent could take the chat) |
//! | `CHAT_CLOSED` | `conversation.closed` |
//! | anything else | `provider.unrecognized` |
//!
//! Conversations are keyed by `{client_id}:{chat_id}`: a reply must name both. Replies are
//! `BOT_MESSAGE` events posted to the endpoint Jivo gave the bot provider. See README.md.

mod config;
mod normalize;
mod reply;
mod verify;

use omnigate_connector_core::{
    CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, CredentialField,
    InboundRequest, NormalizedEvent, ProviderCall, ReplyContext, ReplyError, VerifyError,
};
use serde_json::{Map, Value};

pub use reply::MAX_TEXT_CHARS;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "jivochat";

/// The JivoChat connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct JivoChat;

impl Connector for JivoChat {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::BOT_TOKEN]
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        config::FIELDS
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
        vec![normalize::normalize(req.body)]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // Jivo lists 429 among its answers but publishes no rate.
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://bot.jivosite.com"
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

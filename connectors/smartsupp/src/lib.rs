//! Smartsupp connector.
//!
//! Smartsupp posts every event of an app to one webhook URL, signed with the app's client
//! secret: `X-Smartsupp-Hmac` is the hex HMAC-SHA256 of the raw body, checked in constant time
//! before anything is parsed. No timestamp is signed, so there is no window; retried deliveries
//! are recognized by the message id (messages) or by the event, conversation and envelope
//! timestamp (everything else).
//!
//! | Smartsupp event | omnigate type |
//! |---|---|
//! | `conversation.contact_replied` | `message.received` |
//! | `conversation.agent_replied`, `conversation.bot_replied` | `message.echo` (`origin: "provider"`, or `"omnigate"` for a relayed reply) |
//! | `conversation.opened` | `conversation.opened` |
//! | `conversation.closed`, `conversation.closed_by_contact` | `conversation.closed` |
//! | `conversation.agent_assigned` / `agent_unassigned` / `agent_joined` / `agent_left` | `conversation.handover` |
//! | `conversation.rated` | `feedback.received` |
//! | `conversation.message_delivered` / `message_delivery_failed` | `message.delivered` / `message.failed` |
//! | `contact.created`, `contact.updated` | `contact.updated` |
//! | anything else | `provider.unrecognized` |
//!
//! Conversations are keyed by the Smartsupp conversation id. Replies are text, posted through
//! the conversation messages API with the API token. See the crate's README.md.

mod config;
mod enrich;
mod normalize;
mod reply;
mod verify;

use omnigate_connector_core::{
    CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, CredentialField,
    EnrichContext, Enrichment, InboundRequest, NormalizedEvent, ProviderCall, ReplyContext,
    ReplyError, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

pub use reply::MAX_TEXT_CHARS;
pub use verify::signature;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "smartsupp";

/// The Smartsupp connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Smartsupp;

impl Connector for Smartsupp {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::CLIENT_SECRET, config::API_TOKEN]
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
        vec![normalize::normalize(req.body)]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // Smartsupp publishes no rate limit for its REST API.
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.smartsupp.com"
    }

    fn needs_enrichment(&self, event: &NormalizedEvent) -> bool {
        enrich::is_thin(event)
    }

    fn enrichment_call(
        &self,
        ctx: &EnrichContext<'_>,
        event: &NormalizedEvent,
    ) -> Result<ProviderCall, Enrichment> {
        enrich::call(ctx, event)
    }

    fn read_enrichment(&self, event: &NormalizedEvent, status: u16, body: &[u8]) -> Enrichment {
        enrich::read(event, status, body)
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

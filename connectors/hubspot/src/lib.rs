//! HubSpot connector (Conversations inbox: live chat).
//!
//! A HubSpot app's webhook subscriptions deliver JSON arrays of events, signed with version 3:
//! `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256, with the app's client secret, of
//! `POST + uri + body + X-HubSpot-Request-Timestamp`, refused after 5 minutes. The URI is
//! the one HubSpot called, which the gateway rebuilds from `server.public_url`. Each event of a
//! batch is one event, de-duplicated by `eventId`.
//!
//! | HubSpot subscription | omnigate type |
//! |---|---|
//! | `conversation.creation` | `conversation.opened` |
//! | `conversation.propertyChange` `status` `OPEN` / `CLOSED` | `conversation.opened` / `conversation.closed` |
//! | `conversation.propertyChange` `assignedTo` | `conversation.handover` |
//! | `conversation.propertyChange` `isArchived` `true`, `conversation.deletion`, `conversation.privacyDeletion` | `conversation.closed` |
//! | `conversation.newMessage` (ids only) | filled in before forwarding: `message.received` / `message.echo` |
//! | anything else | `provider.unrecognized` |
//!
//! Conversations are keyed by the thread id. Replies are text, posted to the thread through
//! the Conversations API. See README.md.

mod config;
mod enrich;
mod normalize;
mod reply;
mod verify;

use omnigate_connector_core::{
    CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, CredentialField,
    EnrichContext, Enrichment, InboundRequest, NormalizedEvent, ProviderCall, RateLimit,
    ReplyContext, ReplyError, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

pub use reply::MAX_TEXT_CHARS;
pub use verify::{sign_for, signature, EXAMPLE_URL};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "hubspot";

/// The HubSpot connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct HubSpot;

impl Connector for HubSpot {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::CLIENT_SECRET, config::ACCESS_TOKEN]
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
        verify::sign_for(EXAMPLE_URL, credentials, body, at)
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
        channel: &ChannelContext<'_>,
    ) -> Vec<NormalizedEvent> {
        normalize::normalize(req.body, config::value(channel.credentials, config::APP_ID))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // HubSpot's public apps get 110 requests per 10 seconds per account.
            rate_limit: Some(RateLimit {
                max_calls: 110,
                window: std::time::Duration::from_secs(10),
            }),
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.hubapi.com"
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
}

//! Zendesk Sunshine Conversations (Zendesk messaging) connector.
//!
//! Sunshine posts integration webhooks v2: `{app, webhook, events: [...]}`. One request may carry
//! several events, so one webhook yields one normalized event per element of `events`, in order,
//! each de-duplicated by its own `events[].id`. A webhook is trusted when its `X-API-Key` header
//! equals the webhook's shared secret (`credentials.webhook_secret`), compared in constant time,
//! and optionally when it came from `settings.allowed_source_ips`. Conversations are keyed by
//! `conversation.id`.
//!
//! | Sunshine event | omnigate type |
//! |---|---|
//! | `conversation:create` | `conversation.opened` |
//! | `conversation:message`, `author.type: "user"` | `message.received` (text, image, file; others `unsupported`) |
//! | `conversation:message`, `author.type: "business"` | `message.echo` (`origin: "provider"`) |
//! | `conversation:postback` | `message.received` with `postback` content |
//! | `switchboard:passControl` / `releaseControl` / `offerControl` / `acceptControl` | `conversation.handover` (`control`, ...) |
//! | `conversation:remove` | `conversation.closed` (`closed_by: "removed"`) |
//! | anything else, or an event missing what it needs | `provider.unrecognized` |
//!
//! Replies go through `POST {base}/v2/apps/{app_id}/conversations/{id}/messages` with Basic
//! authentication (`key_id:key_secret`). The full mapping is in this crate's `README.md`.

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

pub use config::{APP_ID, KEY_ID, KEY_SECRET, WEBHOOK_SECRET};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "zendesk_sunshine";

/// The Zendesk Sunshine Conversations connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZendeskSunshine;

impl Connector for ZendeskSunshine {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[KEY_SECRET, WEBHOOK_SECRET]
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
        normalize::normalize(req.body)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // Sunshine documents no fixed send rate; it answers 429 when throttling, which the
            // relay retries.
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.smooch.io"
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

//! Crisp connector.
//!
//! Crisp delivers hooks two ways. **Plugin hooks** (set up in the Crisp Marketplace) are signed:
//! `X-Crisp-Signature` is the hex HMAC-SHA256 of `"[{X-Crisp-Request-Timestamp};{body}]"` with
//! the plugin's signing secret; a channel with `credentials.signing_secret` requires and checks
//! it on the raw bytes, in constant time. **Website hooks** are unsigned: a channel without a
//! signing secret is protected by its unguessable webhook URL (and the optional
//! `settings.allowed_source_ips`). A timestamp window is applied only when the channel sets
//! `settings.signature_tolerance_seconds` (Crisp documents no unit and no retry behaviour).
//!
//! | Crisp event | omnigate type |
//! |---|---|
//! | `message:send` (the visitor) | `message.received` |
//! | `message:received` (an operator, bot or omnigate) | `message.echo` (`origin: "provider"`, or `"omnigate"` for a relayed reply) |
//! | either, `type: "note"` (private note) | `provider.unrecognized` (never a visitor message) |
//! | `session:request:initiated` | `conversation.opened` |
//! | `session:set_state` `pending` / `unresolved` / `resolved` | `conversation.opened` / `conversation.opened` / `conversation.closed` |
//! | `session:removed` | `conversation.closed` (`removed: true`) |
//! | `session:set_email` / `set_nickname` / `set_phone` | `contact.updated` |
//! | an event of another website, or anything else | `provider.unrecognized` |
//!
//! Conversations are keyed by `data.session_id`; messages are de-duplicated by
//! `data.fingerprint`. Replies are plain text, sent through Crisp's REST API with the plugin
//! token. See the crate's README.md for the details.

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

pub use config::TOLERANCE_SETTING;
pub use verify::signature;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "crisp";

/// The Crisp connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Crisp;

impl Connector for Crisp {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::KEY, config::SIGNING_SECRET]
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
        channel: &ChannelContext<'_>,
    ) -> Vec<NormalizedEvent> {
        let website = channel
            .credentials
            .get(config::WEBSITE_ID)
            .and_then(Value::as_str);
        vec![normalize::normalize(req.body, website)]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // Crisp publishes per-route quotas only loosely; none is assumed.
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.crisp.chat"
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

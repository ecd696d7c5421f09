//! Tidio connector.
//!
//! Tidio signs each webhook: `x-tidio-signature: t=<unix seconds>,s=<hex>[,s=<hex>...]`, where
//! each `s` is the hex HMAC-SHA256 of `body + "_" + t` with one of the project's active webhook
//! secrets (several during a rotation). The request is accepted when any `s` matches, compared
//! in constant time on the raw bytes before anything is parsed, and refused when `t` is outside
//! the channel's window (5 minutes unless `settings.signature_tolerance_seconds` says
//! otherwise). Every delivery carries a `webhook_id`, the de-duplication key.
//!
//! | Tidio topic | omnigate type |
//! |---|---|
//! | `contact.created`, `contact.updated` | `contact.updated` |
//! | `conversation.operator_replied` | `message.echo` (`origin: "provider"`) |
//! | `conversation.solved_by_operator`, `conversation.solved_automatically` | `conversation.closed` |
//! | `ticket.*` (e-mail-like tickets, not live chat), anything else | `provider.unrecognized` |
//!
//! Conversations are keyed by the Tidio contact id: a Tidio live chat is the contact's one
//! thread with the project. Tidio publishes no API to post into a live chat, so replies are
//! refused with 409 `reply_not_supported`. See the crate's README.md.

mod config;
mod normalize;
mod verify;

use omnigate_connector_core::{
    ChannelContext, ConfigError, Connector, CredentialField, InboundRequest, NormalizedEvent,
    SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

pub use config::{DEFAULT_TOLERANCE_SECONDS, TOLERANCE_SETTING};
pub use verify::{signature, signature_header};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "tidio";

/// The Tidio connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tidio;

impl Connector for Tidio {
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
        vec![normalize::normalize(req.body)]
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.tidio.com"
    }

    // Replies keep the trait's defaults: no reply capability, and validate_reply refusing with
    // `reply_not_supported`. Tidio's OpenAPI answers tickets, not live chats.
}

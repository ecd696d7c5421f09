//! LiveChat (text.com) connector.
//!
//! LiveChat posts one webhook per registered action: `{webhook_id, secret_key, action,
//! organization_id, payload, additional_data}`. Nothing is signed: the secret registered with the
//! webhook comes back inside the JSON body as `secret_key`, so verification reads that one field
//! (and nothing else) and compares it with `credentials.webhook_secret` in constant time.
//! Conversations are keyed by `chat_id` (a chat keeps its id across threads).
//!
//! | LiveChat action | omnigate type |
//! |---|---|
//! | `incoming_chat` | `conversation.opened`, then one message event per message/file in the new thread |
//! | `incoming_event`, a message or file by the customer | `message.received` |
//! | `incoming_event`, a message or file by an agent or bot | `message.echo` (`origin: "provider"`) |
//! | `chat_deactivated` | `conversation.closed` (`closed_by`) |
//! | any other action or event, or one missing what it needs | `provider.unrecognized` |
//!
//! Replies go through the Agent Chat API `send_event` with a bearer token. The full mapping is in
//! this crate's `README.md`.

mod config;
mod normalize;
mod reply;
mod verify;

use std::borrow::Cow;

use omnigate_connector_core::{
    CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, CredentialField,
    InboundRequest, NormalizedEvent, ProviderCall, ReplyContext, ReplyError, SignedRequest,
    VerifyError,
};
use serde_json::{Map, Value};

pub use config::{ACCESS_TOKEN, WEBHOOK_SECRET};

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "livechat";

/// The LiveChat connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveChat;

impl Connector for LiveChat {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[WEBHOOK_SECRET, ACCESS_TOKEN]
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

    fn redact_raw<'b>(&self, body: &'b [u8]) -> Option<Cow<'b, [u8]>> {
        verify::redact(body)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            // LiveChat documents no send rate for the Agent Chat API; a 429 is retried.
            rate_limit: None,
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.livechatinc.com"
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

//! LivePerson connector (Conversational Cloud, Connector API webhooks).
//!
//! LivePerson signs each notification: `X-Liveperson-Signature` is `sha1=` (or, when the account
//! asks for it, `sha256=`) and the base64 HMAC of the raw body with the app's client secret; the
//! `X-Liveperson-Account-Id` and `X-Liveperson-Client-Id` headers must name the channel's
//! account and app. All checked before anything is parsed, the MAC in constant time.
//!
//! | LivePerson notification | omnigate type |
//! |---|---|
//! | `ms.MessagingEventNotification`, `ContentEvent` by the `CONSUMER` | `message.received` |
//! | the same by an agent, a manager or a bot (`ASSIGNED_AGENT`, `AGENT`, `MANAGER`, `CONTROLLER`) | `message.echo` (`origin: "provider"`) |
//! | `cqm.ExConversationChangeNotification`, `state: OPEN` | `conversation.opened`, or `conversation.handover` once an agent is assigned |
//! | the same, `state: CLOSE` | `conversation.closed` |
//! | anything else (typing, accept status, agents-only messages, ...) | `provider.unrecognized` |
//!
//! A notification carries a `changes` list: each change is one event, de-duplicated by
//! LivePerson's own ids (`dialogId` + `sequence` for messages). Replies are not supported: see
//! README.md for why.

mod config;
mod normalize;
mod verify;

use omnigate_connector_core::{
    ChannelContext, ConfigError, Connector, CredentialField, InboundRequest, NormalizedEvent,
    ReplyError, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

pub use verify::signature;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "liveperson";

/// The LivePerson connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct LivePerson;

impl Connector for LivePerson {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &[config::CLIENT_SECRET]
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

    fn default_api_base(&self) -> &'static str {
        "https://va.msg.liveperson.net"
    }

    fn validate_reply(&self, _content: &Value) -> Result<(), ReplyError> {
        Err(ReplyError::new(
            "reply_not_supported",
            "LivePerson takes a brand's messages only from an agent session (Messaging Agent SDK \
             websocket) or as a bot's synchronous answer; the Connector API sends as the consumer",
        ))
    }
}

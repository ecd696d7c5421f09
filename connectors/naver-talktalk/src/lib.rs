//! Naver TalkTalk (네이버 톡톡) connector.
//!
//! Naver signs nothing: a webhook is trusted because it arrived on the channel's unguessable
//! webhook URL, and optionally because it came from one of Naver's published address ranges
//! (`settings.allowed_source_ips`). Conversations are keyed by the `user` id.
//!
//! Inbound mapping (one webhook is always exactly one event; the full table with every
//! `provider_event.detail` field is in this crate's `README.md`):
//!
//! | Naver event | omnigate type |
//! |---|---|
//! | `open` | `conversation.opened` (`inflow`, `referer`, `from`, `friend`, `under14`, ...) |
//! | `leave` | `conversation.closed` (`closed_by: "user"`) |
//! | `friend` `on` / `off` | `contact.subscribed` / `contact.unsubscribed` |
//! | `send` | `message.received`: text, sticker, postback (`code`), image; `inputType`, `vphone`, `product`, `standby` in detail |
//! | `echo` | `message.echo` (`origin: "provider"`): text, file, marketing, composite, ...; `echoedEvent`, `sourceId`, `threadOwnerId`, `managerNickname` in detail |
//! | `echo` with `echoedEvent: "leave"` | `conversation.closed` (`closed_by: "partner"`) |
//! | `handover` | `conversation.handover` (`control`, parsed `metadata`, `managerNickname`, `autoEnd`) |
//! | `profile` | `contact.updated`: nickname and cellphone fill the contact; `result`, `address`, `withdrawals`, `erase_fields` in detail |
//! | `pay_complete` / `pay_confirm` | `payment.completed` / `payment.confirmed` (`paymentResult` / `paymentConfirmResult`, `success`) |
//! | anything else, or a known event missing what it needs | `provider.unrecognized` (on the user's conversation when the user is known) |
//!
//! `dedup_key` is `{user}:{event}:{messageId}`, set only when Naver sends `messageId`.

mod config;
mod normalize;
mod reply;
mod verify;

use omnigate_connector_core::{
    ApprovalExtras, CallOutcome, Capabilities, ChannelContext, ConfigError, Connector, Content,
    CredentialField, EchoKey, InboundRequest, NormalizedEvent, ProviderCall, ReplyContext,
    ReplyError, VerifyError,
};
use serde_json::{Map, Value};

pub use config::NAVER_SOURCE_RANGES;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "naver_talktalk";

/// The Naver TalkTalk connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct NaverTalkTalk;

impl Connector for NaverTalkTalk {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &["send_api_key"]
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        config::FIELDS
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            topics: &[],
            replies: true,
            content_types: reply::CONTENT_TYPES,
            rate_limit: Some(reply::RATE_LIMIT),
        }
    }

    fn default_api_base(&self) -> &'static str {
        "https://gw.talk.naver.com"
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

    fn validate_credentials(&self, credentials: &Map<String, Value>) -> Result<(), ConfigError> {
        config::validate_credentials(credentials)
    }

    fn validate_settings(&self, settings: &Map<String, Value>) -> Result<(), ConfigError> {
        omnigate_connector_core::allowlist::validate_with(settings, &verify::PRESETS)
    }

    fn echo_key(&self, content: &Content) -> Option<EchoKey> {
        match content {
            // A relayed card reply comes back as `compositeContent`, which the event model
            // keeps as unsupported content.
            Content::Unsupported { provider_type } if provider_type == "compositeContent" => {
                Some(EchoKey {
                    content_type: "cards",
                    text: None,
                })
            }
            other => EchoKey::plain(other),
        }
    }

    fn resolve_action(&self) -> Option<Value> {
        // The chatbot takes the thread back, which Partner Center shows as finished ([완료]).
        Some(serde_json::json!({"type": "handover_take"}))
    }

    fn approval_extras(
        &self,
        credentials: &Map<String, Value>,
        channel_key: &str,
    ) -> ApprovalExtras {
        config::approval_extras(credentials, channel_key)
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
}

//! Chatlio connector.
//!
//! Chatlio posts five webhooks, each to its own URL field in the widget's "Webhooks and
//! post-chat actions" settings, and nothing in a payload or its headers says which one it is.
//! So a Chatlio channel has one URL per kind, `/hooks/{webhook_key}/{topic}`, and the topic
//! decides the event type:
//!
//! | topic              | Chatlio webhook                          | event type                |
//! |--------------------|------------------------------------------|---------------------------|
//! | `transcript`       | exporting chat transcripts               | `conversation.transcript` |
//! | `offline-message`  | exporting offline messages               | `message.offline`         |
//! | `new-conversation` | new conversation has started             | `conversation.opened`     |
//! | `unanswered`       | visitor did not get an answer in time    | `conversation.unanswered` |
//! | `feedback`         | visitor left feedback after a chat       | `feedback.received`       |
//!
//! `provider_event.type` is the topic. Conversations are keyed by `conversationUUID`, or, in a
//! payload without one (Adobe Experience Platform's documented shape), by `visitor:<visitor.UUID>`;
//! an offline message has none and belongs to no conversation. The contact is the visitor: `provider_ref`
//! is `visitor.UUID` (stable across one visitor's conversations); `name` / `email` come from the
//! offline form's `name` / `email`, else `visitor.name` / `visitor.email`, else a transcript's
//! `visitorEmail` and the identify traits' `name` / `email`, else a transcript's `visitorName`
//! unless it is only the generated channel handle; `phone` from `visitor.phone` or the traits.
//! Everything else about the visitor (`identUserId`, `identTraits`, `currentPage`,
//! `referrerURL`, `location`, `handle`, `userAgent`, `IPAddress`, `createdAt`, a transcript's
//! `visitorTraits`) stays in `provider_event.detail` under Chatlio's own names, with traits sent
//! as a JSON-encoded string decoded into an object. The visitor's `message` text becomes an
//! inbound text `message`; a transcript's lines become `detail.messages`, each
//! `{sender: visitor|agent|unknown, name, text, sent_at, slack_user_id, slack_ts}`.
//!
//! Chatlio signs nothing: a webhook is trusted because it arrived on the channel's unguessable
//! webhook URL, and optionally because of `settings.allowed_source_ips`. Chatlio assigns no
//! event id, so events are never de-duplicated. Chatlio has no API to reply to a visitor:
//! replies are not supported. See the crate's README.md for the full mapping.

mod config;
mod normalize;
mod verify;

use omnigate_connector_core::{
    Capabilities, ChannelContext, ConfigError, Connector, CredentialField, InboundRequest,
    NormalizedEvent, VerifyError,
};
use serde_json::{Map, Value};

pub use config::WIDGET_ID;
pub use normalize::TOPICS;

/// The provider id in the API and the event model.
pub const PROVIDER: &str = "chatlio";

/// The Chatlio connector.
#[derive(Debug, Default, Clone, Copy)]
pub struct Chatlio;

impl Connector for Chatlio {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        // One webhook URL per Chatlio webhook; omnigate calls no Chatlio API.
        Capabilities {
            topics: &TOPICS,
            replies: false,
            content_types: &[],
            rate_limit: None,
        }
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        // The webhook key in the URL is the only secret, and the gateway owns it.
        &[]
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
        vec![normalize::normalize(req.topic, req.body)]
    }
}

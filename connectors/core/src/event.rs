//! The normalized event model: what a connector produces from a provider webhook, and what the
//! gateway wraps into the Standard Webhooks envelope the helpdesk receives.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every event type omnigate emits. The string form is the wire name (`message.received`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "conversation.opened")]
    ConversationOpened,
    #[serde(rename = "conversation.closed")]
    ConversationClosed,
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.echo")]
    MessageEcho,
    #[serde(rename = "contact.subscribed")]
    ContactSubscribed,
    #[serde(rename = "contact.unsubscribed")]
    ContactUnsubscribed,
    #[serde(rename = "conversation.handover")]
    ConversationHandover,
    #[serde(rename = "contact.updated")]
    ContactUpdated,
    #[serde(rename = "payment.completed")]
    PaymentCompleted,
    #[serde(rename = "payment.confirmed")]
    PaymentConfirmed,
    #[serde(rename = "conversation.transcript")]
    ConversationTranscript,
    #[serde(rename = "message.offline")]
    MessageOffline,
    #[serde(rename = "conversation.unanswered")]
    ConversationUnanswered,
    #[serde(rename = "feedback.received")]
    FeedbackReceived,
    #[serde(rename = "message.delivered")]
    MessageDelivered,
    #[serde(rename = "message.failed")]
    MessageFailed,
    #[serde(rename = "channel.state_changed")]
    ChannelStateChanged,
    #[serde(rename = "provider.unrecognized")]
    ProviderUnrecognized,
}

impl EventType {
    /// All event types, for validating destination filters.
    pub const ALL: [EventType; 18] = [
        EventType::ConversationOpened,
        EventType::ConversationClosed,
        EventType::MessageReceived,
        EventType::MessageEcho,
        EventType::ContactSubscribed,
        EventType::ContactUnsubscribed,
        EventType::ConversationHandover,
        EventType::ContactUpdated,
        EventType::PaymentCompleted,
        EventType::PaymentConfirmed,
        EventType::ConversationTranscript,
        EventType::MessageOffline,
        EventType::ConversationUnanswered,
        EventType::FeedbackReceived,
        EventType::MessageDelivered,
        EventType::MessageFailed,
        EventType::ChannelStateChanged,
        EventType::ProviderUnrecognized,
    ];

    /// The wire name, e.g. `message.received`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ConversationOpened => "conversation.opened",
            EventType::ConversationClosed => "conversation.closed",
            EventType::MessageReceived => "message.received",
            EventType::MessageEcho => "message.echo",
            EventType::ContactSubscribed => "contact.subscribed",
            EventType::ContactUnsubscribed => "contact.unsubscribed",
            EventType::ConversationHandover => "conversation.handover",
            EventType::ContactUpdated => "contact.updated",
            EventType::PaymentCompleted => "payment.completed",
            EventType::PaymentConfirmed => "payment.confirmed",
            EventType::ConversationTranscript => "conversation.transcript",
            EventType::MessageOffline => "message.offline",
            EventType::ConversationUnanswered => "conversation.unanswered",
            EventType::FeedbackReceived => "feedback.received",
            EventType::MessageDelivered => "message.delivered",
            EventType::MessageFailed => "message.failed",
            EventType::ChannelStateChanged => "channel.state_changed",
            EventType::ProviderUnrecognized => "provider.unrecognized",
        }
    }

    /// Parses a wire name; `None` for anything that is not an event type.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who the event is about, as far as the provider tells.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub provider_ref: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the visitor to the business.
    Inbound,
    /// From the business side to the visitor.
    Outbound,
}

/// The body of a message. Unknown provider content ends up as `Unsupported` with its raw form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        text: String,
    },
    Image {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    File {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Sticker {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    Postback {
        text: String,
        payload: String,
    },
    Unsupported {
        provider_type: String,
    },
}

/// A message carried by `message.*` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The provider's message id, when it sends one.
    pub id: Option<String>,
    pub direction: Direction,
    pub content: Content,
    /// For `message.echo`: `provider` (sent elsewhere) or `omnigate` (relayed by omnigate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// The provider's own name and id for what happened, plus provider-specific detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    /// Provider-specific fields kept rather than dropped (e.g. Naver's `inflow`, `referer`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub detail: Map<String, Value>,
}

/// One event produced by a connector from one provider webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    pub event_type: EventType,
    /// The provider's key for the conversation (Naver: the `user` id). `None` for events that
    /// belong to no conversation.
    pub conversation_ref: Option<String>,
    pub contact: Option<Contact>,
    pub message: Option<Message>,
    pub provider_event: ProviderEvent,
    /// A provider-assigned id that identifies this event across provider retries. Events are
    /// de-duplicated only by this key, never by content.
    pub dedup_key: Option<String>,
}

impl NormalizedEvent {
    /// The catch-all: an authenticated payload no mapping understood. The gateway keeps the raw
    /// body with it.
    pub fn unrecognized(provider_kind: impl Into<String>, reason: impl Into<String>) -> Self {
        let mut detail = Map::new();
        detail.insert("reason".into(), Value::String(reason.into()));
        NormalizedEvent {
            event_type: EventType::ProviderUnrecognized,
            conversation_ref: None,
            contact: None,
            message: None,
            provider_event: ProviderEvent {
                kind: provider_kind.into(),
                id: None,
                detail,
            },
            dedup_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_round_trips_through_its_wire_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            let json = serde_json::to_value(t).expect("serializes");
            assert_eq!(json, Value::String(t.as_str().to_string()));
        }
        assert_eq!(EventType::parse("message.nope"), None);
    }

    #[test]
    fn text_content_serializes_with_a_type_tag() {
        let c = Content::Text { text: "hi".into() };
        assert_eq!(
            serde_json::to_value(c).expect("serializes"),
            serde_json::json!({"type": "text", "text": "hi"})
        );
    }
}

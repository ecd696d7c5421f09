//! The ReplyQueue role of the store contract, with its records.

use crate::domain::ids::{ChannelId, ConversationId, EventId, MessageId};
use crate::domain::time::Timestamp;
use crate::store::*;
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// A conversation as the relay needs it: which channel, and the provider's key for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    pub id: ConversationId,
    pub channel_id: ChannelId,
    pub provider_ref: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Waiting for its turn, the rate limit, or a retry.
    Queued,
    /// A provider call is in progress.
    Sending,
    Delivered,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Queued,
            MessageStatus::Sending,
            MessageStatus::Delivered,
            MessageStatus::Failed,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A reply relayed (or being relayed) to a provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelayedMessage {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    #[schema(value_type = String)]
    pub channel_id: ChannelId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub content: Value,
    pub status: MessageStatus,
    pub attempts: i64,
    /// Values returned by the provider calls made so far (e.g. an uploaded image id).
    #[serde(skip)]
    pub steps: Vec<Option<String>>,
    pub error: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub echo_event_id: Option<EventId>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// The `X-Request-Id` of the request that queued it; sent on with its provider calls.
    #[serde(skip)]
    pub request_id: Option<String>,
    /// Who queued it: the API, or a helpdesk destination that is told the outcome.
    #[serde(skip)]
    pub origin: crate::domain::reply::ReplyOrigin,
}

/// Where a relayed message stands after a worker's turn.
#[derive(Debug, Clone)]
pub enum MessageProgress {
    /// A call succeeded and more remain: `steps` so far, due again at once.
    Step { steps: Vec<Option<String>> },
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        code: String,
        message: String,
    },
    /// Sent. `event` is the `message.delivered` event to store and forward.
    Delivered { event: NewEvent },
    /// Given up. `event` is the `message.failed` event.
    Failed {
        code: String,
        message: String,
        event: NewEvent,
    },
}

/// The relay's queue of replies to providers, one open reply per conversation at a time.
#[async_trait]
pub trait ReplyQueue: Send + Sync {
    async fn conversation(&self, id: &ConversationId) -> StoreResult<Option<ConversationRef>>;
    /// Queues a reply; with an idempotency key already used in this conversation, returns the
    /// existing message instead (`false`: nothing new was queued).
    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)>;
    async fn get_message(&self, id: &MessageId) -> StoreResult<Option<RelayedMessage>>;
    /// Marks up to `limit` due messages as sending and returns them: only the oldest open
    /// message of each conversation, so replies go out in order.
    async fn claim_messages(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<RelayedMessage>>;
    async fn record_message(&self, id: &MessageId, progress: MessageProgress) -> StoreResult<()>;
    /// The earliest time a queued message is due.
    async fn next_message_due(&self) -> StoreResult<Option<Timestamp>>;
    /// Puts messages left `sending` by a previous run back in the queue.
    async fn requeue_interrupted_messages(&self) -> StoreResult<u64>;
}

//! The storage contract. One trait, one conformance suite (`tests/store`); the embedded
//! (SQLite) engine is the default, the redis engine lets replicas share one Redis.
//!
//! Vocabulary: an *event* is stored once; a *delivery* is one event on its way to one
//! destination; a *lane* is (destination, conversation): deliveries in a lane go strictly in
//! event order, lanes go in parallel.

pub mod echo;
pub mod embedded;
mod error;
pub mod redis;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::domain::channel::{Channel, ChannelState, StateChange, Transition};
use crate::domain::destination::{ChatwootSettings, Destination};

pub use error::{StoreError, StoreResult};

/// What a channel transition changes, decided from the channel as it is now (the same rule for
/// every engine; each applies it atomically its own way).
#[derive(Debug)]
pub struct PlannedTransition {
    pub change: StateChange,
    /// The channel's first webhook key, when it gets one with this change.
    pub webhook_key: Option<String>,
}

/// Decides `transition` for `ch`: an error for an illegal one, `Ok(None)` when it changes
/// nothing (asking again while pending hands out the same URL).
pub fn plan_transition(
    ch: &Channel,
    transition: Transition,
    actor: &str,
    reason: Option<String>,
) -> StoreResult<Option<PlannedTransition>> {
    let to = ch
        .state
        .apply(transition)
        .ok_or(StoreError::InvalidTransition {
            from: ch.state.as_str(),
            transition: transition.name(),
        })?;
    if to == ch.state {
        return Ok(None);
    }
    Ok(Some(PlannedTransition {
        change: StateChange {
            from: ch.state,
            state: to,
            at: crate::domain::envelope::now(),
            actor: actor.to_string(),
            reason,
        },
        webhook_key: ch.webhook_key.is_none().then(crate::ids::webhook_key),
    }))
}

/// One normalized event ready to store: the gateway has built its envelope and ids.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    pub conversation_id: Option<String>,
    /// The provider's key of the conversation, remembered for the relay.
    pub conversation_ref: Option<String>,
    pub dedup_key: Option<String>,
    pub envelope: Value,
    pub raw: Option<Arc<Vec<u8>>>,
    /// The `X-Request-Id` of the webhook that brought it in; sent on with its deliveries.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored, and queued for delivery (approved channel).
    Stored,
    /// Stored and held until the channel is approved (pending channel).
    Held,
    /// Already stored under the same provider id; nothing written.
    Duplicate,
}

/// An event as stored.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub channel_id: Option<String>,
    pub conversation_id: Option<String>,
    pub event_type: String,
    pub envelope: Value,
    pub raw: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub channel: Option<String>,
    pub conversation: Option<String>,
    pub event_type: Option<String>,
    /// Return events stored after this sequence number.
    pub after_seq: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Queued, not yet attempted.
    Pending,
    /// Queued, the last attempt failed and another is scheduled.
    Failed,
    Delivered,
    /// Given up: retries exhausted, or a permanent failure. Replayable.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Failed,
            DeliveryStatus::Delivered,
            DeliveryStatus::Dead,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub destination_id: String,
    pub conversation_id: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub destination: Option<String>,
    pub status: Option<DeliveryStatus>,
    /// Return deliveries whose id sorts after this one.
    pub after: Option<String>,
    pub limit: usize,
}

/// A lane claimed by the forwarder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lane {
    pub destination_id: String,
    pub lane: String,
}

/// The first queued delivery of a lane, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub envelope: Value,
    pub raw: Option<Vec<u8>>,
    /// The `X-Request-Id` of the request that brought the event in.
    pub request_id: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum AttemptResult {
    Delivered,
    /// Try again at this time (ms since the epoch).
    Retry {
        at_ms: i64,
    },
    /// Give up on this delivery.
    Dead,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub lane: Lane,
    pub delivery_id: String,
    pub result: AttemptResult,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// When the worker keeps the lane, it stays leased until then.
    pub hold_until_ms: Option<i64>,
    /// Disable the destination (it answered 410 Gone).
    pub disable_destination: Option<String>,
}

/// A conversation as the relay needs it: which channel, and the provider's key for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    pub id: String,
    pub channel_id: String,
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
    pub id: String,
    pub conversation_id: String,
    pub channel_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub content: Value,
    pub status: MessageStatus,
    pub attempts: i64,
    /// Values returned by the provider calls made so far (e.g. an uploaded image id).
    #[serde(skip)]
    pub steps: Vec<Option<String>>,
    pub error: Option<Value>,
    pub echo_event_id: Option<String>,
    pub next_attempt_at: Option<String>,
    #[serde(skip)]
    pub next_attempt_ms: i64,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
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
    /// Try again at `at_ms`.
    Retry {
        at_ms: i64,
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

/// What to change on a destination; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DestinationPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub include_raw: Option<bool>,
    pub enabled: Option<bool>,
    /// A `chatwoot` destination's settings, replaced whole.
    pub chatwoot: Option<ChatwootSettings>,
}

impl DestinationPatch {
    /// Applies the patch (the same rule for every engine). Returns whether it re-enabled the
    /// destination, whose queued lanes are then due again.
    pub fn apply(self, d: &mut Destination) -> bool {
        if let Some(url) = self.url {
            d.url = url;
        }
        if let Some(types) = self.event_types {
            d.event_types = types;
        }
        if let Some(channels) = self.channels {
            d.channels = channels;
        }
        if let Some(raw) = self.include_raw {
            d.include_raw = raw;
        }
        if let Some(settings) = self.chatwoot {
            d.chatwoot = Some(settings);
        }
        let mut reenabled = false;
        if let Some(enabled) = self.enabled {
            reenabled = enabled && !d.enabled;
            d.enabled = enabled;
            d.disabled_reason = if enabled {
                None
            } else {
                Some("disabled by an operator".into())
            };
        }
        reenabled
    }
}

/// What to change on a channel.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub credentials: Option<serde_json::Map<String, Value>>,
    pub settings: Option<serde_json::Map<String, Value>>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the store answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Whether the store works in a degraded mode (the redis engine spooling webhooks locally
    /// while Redis is unreachable): still taking webhooks, not everything else.
    fn degraded(&self) -> bool {
        false
    }
    /// Woken whenever new work for the forwarder was committed.
    fn wakeups(&self) -> Arc<Notify>;
    /// Flushes pending writes and stops accepting new ones.
    async fn close(&self);

    // API tokens (stored hashed).
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()>;
    async fn token_role(&self, hash: &str) -> StoreResult<Option<String>>;
    async fn has_tokens(&self, role: &str) -> StoreResult<bool>;

    // Channels.
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel>;
    async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>>;
    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>>;
    async fn list_channels(&self) -> StoreResult<Vec<Channel>>;
    async fn update_channel(&self, id: &str, patch: ChannelPatch) -> StoreResult<Channel>;
    /// Deletes a channel that is not approved; its stored events stay.
    async fn delete_channel(&self, id: &str) -> StoreResult<()>;
    /// Applies a transition, records it, and emits `channel.state_changed` (event id given).
    /// Approving releases the events held while pending, in order.
    async fn transition_channel(
        &self,
        id: &str,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: String,
    ) -> StoreResult<(Channel, Option<ChannelState>)>;
    async fn channel_history(&self, id: &str) -> StoreResult<Vec<StateChange>>;

    // Destinations.
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination>;
    async fn get_destination(&self, id: &str) -> StoreResult<Option<Destination>>;
    async fn list_destinations(&self) -> StoreResult<Vec<Destination>>;
    async fn update_destination(
        &self,
        id: &str,
        patch: DestinationPatch,
    ) -> StoreResult<Destination>;
    /// Deletes a destination; its queued deliveries become dead.
    async fn delete_destination(&self, id: &str) -> StoreResult<()>;

    // Events.
    /// Stores a webhook's events durably (de-duplicated by provider id) and queues them for
    /// delivery, all or nothing. Fails with `NotFound` when the channel no longer takes webhooks.
    async fn append(
        &self,
        channel_id: &str,
        events: Vec<NewEvent>,
    ) -> StoreResult<Vec<AppendOutcome>>;
    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>>;
    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>>;

    // Deliveries.
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>>;
    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>>;
    /// Queues a dead (or delivered) delivery again with a fresh retry schedule.
    async fn retry_delivery(&self, id: &str) -> StoreResult<Delivery>;
    /// Queues every stored event in [since, until) that the destination's filters take.
    async fn replay(
        &self,
        destination_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64>;

    // The forwarder's queue.
    /// Leases up to `limit` lanes due by `now_ms` until `lease_until_ms`.
    async fn claim_lanes(
        &self,
        now_ms: i64,
        limit: usize,
        lease_until_ms: i64,
    ) -> StoreResult<Vec<Lane>>;
    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>>;
    /// Records an attempt; returns when the lane's next delivery is due (`None`: lane empty).
    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<i64>>;
    /// Ends a worker's hold on a lane: it becomes due when its head is, or goes away if empty.
    async fn settle_lane(&self, lane: &Lane) -> StoreResult<()>;
    /// The earliest time any lane of an enabled destination is due.
    async fn next_due(&self) -> StoreResult<Option<i64>>;

    // The relay.
    async fn conversation(&self, id: &str) -> StoreResult<Option<ConversationRef>>;
    /// Queues a reply; with an idempotency key already used in this conversation, returns the
    /// existing message instead (`false`: nothing new was queued).
    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)>;
    async fn get_message(&self, id: &str) -> StoreResult<Option<RelayedMessage>>;
    /// Marks up to `limit` due messages as sending and returns them: only the oldest open
    /// message of each conversation, so replies go out in order.
    async fn claim_messages(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<RelayedMessage>>;
    async fn record_message(&self, id: &str, progress: MessageProgress) -> StoreResult<()>;
    /// The earliest time a queued message is due.
    async fn next_message_due(&self) -> StoreResult<Option<i64>>;
    /// Puts messages left `sending` by a previous run back in the queue.
    async fn requeue_interrupted_messages(&self) -> StoreResult<u64>;

    /// Queue depths for the metrics endpoint.
    async fn queue_stats(&self) -> StoreResult<QueueStats>;

    // Helpdesk links: for destinations that write into a helpdesk's own objects (Chatwoot), what
    // omnigate created or saw there, per destination, under a `kind` such as "contact",
    // "conversation" or "message", so retries and restarts never create duplicates. Deleted with
    // their destination.
    /// The value linked to `key`.
    async fn link(
        &self,
        destination_id: &str,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>>;
    /// The key linked to `value`.
    async fn link_by_value(
        &self,
        destination_id: &str,
        kind: &str,
        value: &str,
    ) -> StoreResult<Option<String>>;
    /// Records a link, durably before it returns. An existing link is kept unless `replace`;
    /// returns whether this call wrote it (`false`: the key was already linked).
    async fn put_link(
        &self,
        destination_id: &str,
        kind: &str,
        key: &str,
        value: &str,
        replace: bool,
    ) -> StoreResult<bool>;

    // API tokens beyond the bootstrap one.
    async fn create_token(&self, id: &str, hash: &str, role: &str, label: &str) -> StoreResult<()>;
    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>>;
    async fn delete_token(&self, id: &str) -> StoreResult<()>;
}

/// How much work is waiting.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueStats {
    /// Deliveries queued (pending or waiting for a retry).
    pub queued_deliveries: u64,
    pub dead_deliveries: u64,
    /// Replies queued or being sent.
    pub queued_replies: u64,
}

/// A token as listed (never its value).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub role: String,
    pub label: String,
    pub created_at: String,
}

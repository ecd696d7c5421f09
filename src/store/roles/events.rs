//! The EventLog role of the store contract, with its records.

use crate::domain::ids::{ChannelId, ConversationId, EventId};
use crate::store::*;
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;

/// One normalized event ready to store: the gateway has built its envelope and ids.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub event_type: String,
    pub conversation_id: Option<ConversationId>,
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
    pub id: EventId,
    pub channel_id: Option<ChannelId>,
    pub conversation_id: Option<ConversationId>,
    pub event_type: String,
    pub envelope: Value,
    pub raw: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub channel: Option<ChannelId>,
    pub conversation: Option<ConversationId>,
    pub event_type: Option<String>,
    /// Return events stored after this sequence number.
    pub after_seq: Option<i64>,
    pub limit: usize,
}

/// The event log: events stored once, de-duplicated by provider id, queued for delivery as they
/// are appended.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Stores a webhook's events durably (de-duplicated by provider id) and queues them for
    /// delivery, all or nothing. Fails with `NotFound` when the channel no longer takes webhooks.
    async fn append(
        &self,
        channel_id: &ChannelId,
        events: Vec<NewEvent>,
    ) -> StoreResult<Vec<AppendOutcome>>;
    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>>;
    async fn get_event(&self, id: &EventId) -> StoreResult<Option<StoredEvent>>;
    /// The sequence number of the newest stored event (0 while there is none): where a
    /// follower of new events starts.
    async fn last_event_seq(&self) -> StoreResult<i64>;
    /// Replaces a stored event awaiting enrichment (type [`PENDING_ENRICHMENT`]) by its
    /// filled-in version: its type and envelope, and the type its queued deliveries show.
    /// `Ok(false)` when it was filled in already (the first one counts); `NotFound` when there
    /// is no such event.
    ///
    /// [`PENDING_ENRICHMENT`]: crate::domain::envelope::PENDING_ENRICHMENT
    async fn complete_enrichment(
        &self,
        id: &EventId,
        event_type: &str,
        envelope: Value,
    ) -> StoreResult<bool>;
}

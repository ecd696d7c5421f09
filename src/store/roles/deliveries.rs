//! The DeliveryQueue role of the store contract, with its records.

use crate::domain::ids::{ConversationId, DeliveryId, DestinationId, EventId};
use crate::domain::time::Timestamp;
use crate::store::*;
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

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
    #[schema(value_type = String)]
    pub id: DeliveryId,
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// The event's type; `enrichment.pending` while a thin event waits to be filled in from
    /// the provider's API (see the README's "Thin events").
    pub event_type: String,
    #[schema(value_type = String)]
    pub destination_id: DestinationId,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub destination: Option<DestinationId>,
    pub status: Option<DeliveryStatus>,
    /// Return deliveries whose id sorts after this one.
    pub after: Option<DeliveryId>,
    pub limit: usize,
}

/// A lane claimed by the forwarder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lane {
    pub destination_id: DestinationId,
    pub lane: String,
}

/// How many lanes of each destination one claim may take, so that no destination holds more
/// than its share of the workers: `per_destination` less what it has `busy` already (a
/// destination whose room is 0 is skipped, its lanes stay due).
#[derive(Debug, Clone)]
pub struct LaneShare {
    pub per_destination: usize,
    pub busy: std::collections::HashMap<DestinationId, usize>,
}

impl LaneShare {
    /// No per-destination limit.
    pub fn unlimited() -> LaneShare {
        LaneShare {
            per_destination: usize::MAX,
            busy: Default::default(),
        }
    }

    /// How many more lanes of `destination` may be claimed.
    pub fn room(&self, destination: &str) -> usize {
        let busy = self.busy.get(destination).copied().unwrap_or(0);
        self.per_destination.saturating_sub(busy)
    }
}

/// The first queued delivery of a lane, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery_id: DeliveryId,
    pub event_id: EventId,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub envelope: Value,
    pub raw: Option<Vec<u8>>,
    /// The `X-Request-Id` of the request that brought the event in.
    pub request_id: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum AttemptResult {
    Delivered,
    /// Try again at this time.
    Retry {
        at: Timestamp,
    },
    /// Give up on this delivery.
    Dead,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub lane: Lane,
    pub delivery_id: DeliveryId,
    pub result: AttemptResult,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// When the worker keeps the lane, it stays leased until then.
    pub hold_until: Option<Timestamp>,
    /// Disable the destination (it answered 410 Gone).
    pub disable_destination: Option<String>,
}

/// Deliveries and the forwarder's lane queue.
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>>;
    async fn get_delivery(&self, id: &DeliveryId) -> StoreResult<Option<Delivery>>;
    /// Queues a dead (or delivered) delivery again with a fresh retry schedule.
    async fn retry_delivery(&self, id: &DeliveryId) -> StoreResult<Delivery>;
    /// Queues every stored event in [since, until) that the destination's filters take.
    async fn replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64>;
    /// How many events [`DeliveryQueue::replay`] would queue, queuing none.
    async fn count_replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64>;
    /// Leases up to `limit` lanes due by `now` until `lease_until`, earliest due first, each
    /// destination's within its `share` (the rest stay due).
    async fn claim_lanes(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
        share: &LaneShare,
    ) -> StoreResult<Vec<Lane>>;
    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>>;
    /// Records an attempt; returns when the lane's next delivery is due (`None`: lane empty).
    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<Timestamp>>;
    /// Ends a worker's hold on a lane: it becomes due when its head is, or goes away if empty.
    async fn settle_lane(&self, lane: &Lane) -> StoreResult<()>;
    /// The earliest time any lane of an enabled destination is due.
    async fn next_due(&self) -> StoreResult<Option<Timestamp>>;
}

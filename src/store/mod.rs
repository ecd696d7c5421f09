//! The storage contract: one trait per role (`roles/`: tokens, channels, destinations, the
//! event log, the delivery queue, the reply queue, helpdesk links, agents and teams), `Store` as their sum, and
//! one conformance suite (`tests/store`). The embedded (SQLite) engine is the default, the
//! redis engine lets replicas share one Redis.
//!
//! Vocabulary: an *event* is stored once; a *delivery* is one event on its way to one
//! destination; a *lane* is (destination, conversation): deliveries in a lane go strictly in
//! event order, lanes go in parallel.

pub mod echo;
pub mod embedded;
mod error;
pub mod redis;
pub mod roles;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Notify;

pub use error::{StoreError, StoreResult};
pub use roles::*;

/// Every role together, plus what concerns the store as a whole. `Arc<dyn Store>` is what the
/// gateway holds; a consumer that needs less can take the role it needs.
#[async_trait]
pub trait Store:
    Tokens
    + Agents
    + Channels
    + Destinations
    + EventLog
    + DeliveryQueue
    + ReplyQueue
    + HelpdeskLinks
    + Send
    + Sync
    + 'static
{
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
    /// Queue depths for the metrics endpoint.
    async fn queue_stats(&self) -> StoreResult<QueueStats>;
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

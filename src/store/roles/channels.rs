//! The Channels role of the store contract, with its records.

use crate::domain::channel::*;
use crate::domain::ids::{ChannelId, EventId};
use crate::domain::time::Timestamp;
use crate::store::*;
use async_trait::async_trait;
use serde_json::Value;

pub use crate::domain::channel::{plan_transition, IllegalTransition, PlannedTransition};

/// What to change on a channel.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub credentials: Option<crate::domain::secret::Credentials>,
    pub settings: Option<serde_json::Map<String, Value>>,
}

/// Channels and their state machine; a transition is recorded in the channel's history and
/// emitted as `channel.state_changed`.
#[async_trait]
pub trait Channels: Send + Sync {
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel>;
    async fn get_channel(&self, id: &ChannelId) -> StoreResult<Option<Channel>>;
    /// The channel a webhook key belongs to: its current key, or its previous one until that
    /// key's grace period ends.
    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>>;
    /// Gives a channel that takes webhooks (`pending`, `approved`) the key `new_key`; its
    /// current key keeps working until `previous_until` (a time in the past retires it at
    /// once). A previous key still in its grace period is retired. Other states:
    /// `InvalidTransition`.
    async fn rotate_webhook_key(
        &self,
        id: &ChannelId,
        new_key: String,
        previous_until: Timestamp,
    ) -> StoreResult<Channel>;
    async fn list_channels(&self) -> StoreResult<Vec<Channel>>;
    /// Up to `limit` channels in listing order, after the channel `after` (`NotFound` when
    /// there is no such channel).
    async fn list_channels_page(
        &self,
        after: Option<ChannelId>,
        limit: usize,
    ) -> StoreResult<Vec<Channel>>;
    async fn update_channel(&self, id: &ChannelId, patch: ChannelPatch) -> StoreResult<Channel>;
    /// Deletes a channel that is not approved; its stored events stay.
    async fn delete_channel(&self, id: &ChannelId) -> StoreResult<()>;
    /// Applies a transition, records it, and emits `channel.state_changed` (event id given).
    /// Approving releases the events held while pending, in order.
    async fn transition_channel(
        &self,
        id: &ChannelId,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: EventId,
    ) -> StoreResult<(Channel, Option<ChannelState>)>;
    async fn channel_history(&self, id: &ChannelId) -> StoreResult<Vec<StateChange>>;
}

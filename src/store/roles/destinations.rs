//! The Destinations role of the store contract, with its records.

use crate::domain::destination::*;
use crate::store::*;
use async_trait::async_trait;

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

/// Where events go: webhook endpoints and helpdesks, with their filters.
#[async_trait]
pub trait Destinations: Send + Sync {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination>;
    async fn get_destination(&self, id: &str) -> StoreResult<Option<Destination>>;
    async fn list_destinations(&self) -> StoreResult<Vec<Destination>>;
    /// Up to `limit` destinations in listing order, after the destination `after` (`NotFound`
    /// when there is no such destination).
    async fn list_destinations_page(
        &self,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<Destination>>;
    async fn update_destination(
        &self,
        id: &str,
        patch: DestinationPatch,
    ) -> StoreResult<Destination>;
    /// Deletes a destination; its queued deliveries become dead.
    async fn delete_destination(&self, id: &str) -> StoreResult<()>;
}

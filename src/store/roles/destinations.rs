//! The Destinations role of the store contract, with its records.

use crate::domain::destination::*;
use crate::domain::ids::DestinationId;
use crate::store::*;
use async_trait::async_trait;

pub use crate::domain::destination::DestinationPatch;

/// Where events go: webhook endpoints and helpdesks, with their filters.
#[async_trait]
pub trait Destinations: Send + Sync {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination>;
    async fn get_destination(&self, id: &DestinationId) -> StoreResult<Option<Destination>>;
    async fn list_destinations(&self) -> StoreResult<Vec<Destination>>;
    /// Up to `limit` destinations in listing order, after the destination `after` (`NotFound`
    /// when there is no such destination).
    async fn list_destinations_page(
        &self,
        after: Option<DestinationId>,
        limit: usize,
    ) -> StoreResult<Vec<Destination>>;
    async fn update_destination(
        &self,
        id: &DestinationId,
        patch: DestinationPatch,
    ) -> StoreResult<Destination>;
    /// Deletes a destination; its queued deliveries become dead.
    async fn delete_destination(&self, id: &DestinationId) -> StoreResult<()>;
}

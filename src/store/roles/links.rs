//! The HelpdeskLinks role of the store contract, with its records.

use crate::domain::ids::DestinationId;
use crate::store::*;
use async_trait::async_trait;

/// For destinations that write into a helpdesk's own objects (Chatwoot), what omnigate created
/// or saw there, per destination, under a `kind` such as "contact", "conversation" or
/// "message", so retries and restarts never create duplicates. Deleted with their destination.
#[async_trait]
pub trait HelpdeskLinks: Send + Sync {
    /// The value linked to `key`.
    async fn link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>>;
    /// The key linked to `value`.
    async fn link_by_value(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        value: &str,
    ) -> StoreResult<Option<String>>;
    /// Records a link, durably before it returns. An existing link is kept unless `replace`;
    /// returns whether this call wrote it (`false`: the key was already linked).
    async fn put_link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
        value: &str,
        replace: bool,
    ) -> StoreResult<bool>;
}

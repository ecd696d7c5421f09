//! Helpdesk links in the embedded engine: per destination and kind, a key to value map kept one to one.

use super::{destinations, EmbeddedStore};
use crate::domain::ids::DestinationId;
use crate::store::{HelpdeskLinks, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl HelpdeskLinks for EmbeddedStore {
    async fn link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        let (d, k, key) = (
            destination_id.to_string(),
            kind.to_string(),
            key.to_string(),
        );
        self.read(move |conn, _| destinations::link(conn, &d, &k, &key))
            .await
    }

    async fn link_by_value(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        value: &str,
    ) -> StoreResult<Option<String>> {
        let (d, k, v) = (
            destination_id.to_string(),
            kind.to_string(),
            value.to_string(),
        );
        self.read(move |conn, _| destinations::link_by_value(conn, &d, &k, &v))
            .await
    }

    async fn put_link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
        value: &str,
        replace: bool,
    ) -> StoreResult<bool> {
        let (d, k, key, v) = (
            destination_id.to_string(),
            kind.to_string(),
            key.to_string(),
            value.to_string(),
        );
        self.write(move |ctx, _| destinations::put_link(ctx, &d, &k, &key, &v, replace))
            .await
    }
}

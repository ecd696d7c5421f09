//! Helpdesk links in the redis engine: per destination and kind, a key to value hash and its reverse.

use super::RedisStore;
use crate::domain::ids::DestinationId;
use crate::store::{HelpdeskLinks, StoreResult};
use async_trait::async_trait;
use redis::AsyncCommands;

#[async_trait]
impl HelpdeskLinks for RedisStore {
    async fn link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        let r = self
            .conn()
            .hget(self.keys.link(destination_id, kind), key)
            .await;
        self.ok(r)
    }

    async fn link_by_value(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        value: &str,
    ) -> StoreResult<Option<String>> {
        let r = self
            .conn()
            .hget(self.keys.link_by_value(destination_id, kind), value)
            .await;
        self.ok(r)
    }

    async fn put_link(
        &self,
        destination_id: &DestinationId,
        kind: &str,
        key: &str,
        value: &str,
        replace: bool,
    ) -> StoreResult<bool> {
        let r = self
            .scripts
            .put_link
            .arg(self.keys.prefix())
            .arg(destination_id)
            .arg(kind)
            .arg(key)
            .arg(value)
            .arg(if replace { "1" } else { "0" })
            .invoke_async::<i64>(&mut self.conn())
            .await;
        Ok(self.ok(r)? == 1)
    }
}

//! API tokens in the redis engine: kept by hash, listed in creation order.

use super::{channels, RedisStore};
use crate::domain::ids::TokenId;
use crate::store::{StoreResult, TokenInfo, Tokens};
use async_trait::async_trait;
use redis::AsyncCommands;

#[async_trait]
impl Tokens for RedisStore {
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        channels::put_token(self, hash, role, label).await
    }

    async fn token_role(&self, hash: &str) -> StoreResult<Option<String>> {
        let role: Option<String> =
            self.ok(self.conn().hget(self.keys.token(hash), "role").await)?;
        Ok(role)
    }

    async fn has_tokens(&self, role: &str) -> StoreResult<bool> {
        Ok(channels::list_tokens(self)
            .await?
            .iter()
            .any(|t| t.role == role))
    }

    async fn create_token(
        &self,
        id: &TokenId,
        hash: &str,
        role: &str,
        label: &str,
    ) -> StoreResult<()> {
        channels::create_token(self, id, hash, role, label).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        channels::list_tokens(self).await
    }

    async fn delete_token(&self, id: &TokenId) -> StoreResult<()> {
        channels::delete_token(self, id).await
    }
}

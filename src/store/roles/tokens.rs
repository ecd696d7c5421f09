//! The Tokens role of the store contract, with its records.

use crate::domain::ids::TokenId;
use crate::domain::time::Timestamp;
use crate::store::*;
use async_trait::async_trait;
use serde::Serialize;

/// A token as listed (never its value).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    #[schema(value_type = String)]
    pub id: TokenId,
    pub role: String,
    pub label: String,
    pub created_at: Timestamp,
}

/// API tokens, kept hashed: the bootstrap one (`put_token`) and those made through the API.
#[async_trait]
pub trait Tokens: Send + Sync {
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()>;
    async fn token_role(&self, hash: &str) -> StoreResult<Option<String>>;
    async fn has_tokens(&self, role: &str) -> StoreResult<bool>;
    async fn create_token(
        &self,
        id: &TokenId,
        hash: &str,
        role: &str,
        label: &str,
    ) -> StoreResult<()>;
    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>>;
    async fn delete_token(&self, id: &TokenId) -> StoreResult<()>;
}

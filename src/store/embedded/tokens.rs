//! API tokens in the embedded engine: kept by hash, listed in creation order.

use super::EmbeddedStore;
use crate::domain::ids::TokenId;
use crate::domain::time::Timestamp;
use crate::store::{StoreError, StoreResult, TokenInfo, Tokens};
use async_trait::async_trait;

#[async_trait]
impl Tokens for EmbeddedStore {
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        let (hash, role, label) = (hash.to_string(), role.to_string(), label.to_string());
        self.write(move |ctx, _| {
            ctx.conn.execute(
                "INSERT INTO api_tokens (id, hash, role, label, created_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (hash) DO UPDATE SET role = excluded.role, label = excluded.label",
                rusqlite::params![crate::ids::token_id(), hash, role, label, Timestamp::now().millis()],
            )?;
            Ok(())
        })
        .await
    }

    async fn token_role(&self, hash: &str) -> StoreResult<Option<String>> {
        let hash = hash.to_string();
        self.read(move |conn, _| {
            use rusqlite::OptionalExtension;
            Ok(conn
                .prepare_cached("SELECT role FROM api_tokens WHERE hash = ?1")?
                .query_row([hash], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn has_tokens(&self, role: &str) -> StoreResult<bool> {
        let role = role.to_string();
        self.read(move |conn, _| {
            Ok(conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE role = ?1)",
                [role],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn create_token(
        &self,
        id: &TokenId,
        hash: &str,
        role: &str,
        label: &str,
    ) -> StoreResult<()> {
        let (id, hash, role, label) = (
            id.to_string(),
            hash.to_string(),
            role.to_string(),
            label.to_string(),
        );
        self.write(move |ctx, _| {
            ctx.conn.execute(
                "INSERT INTO api_tokens (id, hash, role, label, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, hash, role, label, Timestamp::now().millis()],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        self.read(|conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, role, label, created_ms FROM api_tokens ORDER BY created_ms, rowid",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(TokenInfo {
                    id: r.get(0)?,
                    role: r.get(1)?,
                    label: r.get(2)?,
                    created_at: Timestamp::from_millis(r.get(3)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn delete_token(&self, id: &TokenId) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| {
            let n = ctx
                .conn
                .execute("DELETE FROM api_tokens WHERE id = ?1", [id])?;
            if n == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
        .await
    }
}

//! The local spool: while Redis is unreachable a replica keeps acking webhooks by committing
//! them to a small SQLite file in its data directory, and drains it into Redis, in order, when
//! Redis answers again.

use crate::domain::ids::{ChannelId, ConversationId, EventId};
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{NewEvent, StoreError, StoreResult};

#[derive(Serialize, Deserialize)]
struct SpooledEvent {
    id: EventId,
    event_type: String,
    conversation_id: Option<ConversationId>,
    conversation_ref: Option<String>,
    dedup_key: Option<String>,
    envelope: Value,
    raw: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

pub struct SpooledWebhook {
    pub seq: i64,
    /// When it was acked (ms since the epoch): its events' arrival time.
    pub acked_ms: i64,
    pub channel_id: ChannelId,
    pub events: Vec<NewEvent>,
}

#[derive(Clone)]
pub struct Spool {
    conn: Arc<Mutex<Connection>>,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("spool: {e}"))
}

impl Spool {
    pub fn open(path: &Path) -> anyhow::Result<Spool> {
        if let Some(dir) = path.parent() {
            crate::files::create_private_dir(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS spool (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 channel_id TEXT NOT NULL,
                 events TEXT NOT NULL,
                 acked_ms INTEGER NOT NULL
             );",
        )?;
        Ok(Spool {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().map_err(|_| internal("lock poisoned"))?;
            f(&conn).map_err(internal)
        })
        .await
        .map_err(internal)?
    }

    /// Commits one webhook's events; durable when it returns.
    pub async fn push(&self, channel_id: &ChannelId, events: &[NewEvent]) -> StoreResult<()> {
        let spooled: Vec<SpooledEvent> = events
            .iter()
            .map(|e| SpooledEvent {
                id: e.id.clone(),
                event_type: e.event_type.clone(),
                conversation_id: e.conversation_id.clone(),
                conversation_ref: e.conversation_ref.clone(),
                dedup_key: e.dedup_key.clone(),
                envelope: e.envelope.clone(),
                raw: e.raw.as_ref().map(|r| B64.encode(r.as_slice())),
                request_id: e.request_id.clone(),
            })
            .collect();
        let json = serde_json::to_string(&spooled).map_err(internal)?;
        let channel_id = channel_id.clone();
        let acked_ms = crate::domain::time::Timestamp::now().millis();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO spool (channel_id, events, acked_ms) VALUES (?1, ?2, ?3)",
                params![channel_id, json, acked_ms],
            )
            .map(|_| ())
        })
        .await
    }

    /// The oldest spooled webhooks, in the order they were acked.
    pub async fn peek(&self, limit: usize) -> StoreResult<Vec<SpooledWebhook>> {
        let rows: Vec<(i64, String, String, i64)> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT seq, channel_id, events, acked_ms FROM spool ORDER BY seq LIMIT ?1",
                )?;
                let rows = stmt.query_map([limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
                rows.collect()
            })
            .await?;
        rows.into_iter()
            .map(|(seq, channel_id, json, acked_ms)| {
                let spooled: Vec<SpooledEvent> = serde_json::from_str(&json).map_err(internal)?;
                let events = spooled
                    .into_iter()
                    .map(|e| NewEvent {
                        id: e.id,
                        event_type: e.event_type,
                        conversation_id: e.conversation_id,
                        conversation_ref: e.conversation_ref,
                        dedup_key: e.dedup_key,
                        envelope: e.envelope,
                        raw: e.raw.and_then(|r| B64.decode(r).ok()).map(Arc::new),
                        request_id: e.request_id,
                    })
                    .collect();
                Ok(SpooledWebhook {
                    seq,
                    acked_ms,
                    channel_id: channel_id.into(),
                    events,
                })
            })
            .collect()
    }

    pub async fn remove(&self, seq: i64) -> StoreResult<()> {
        self.run(move |conn| {
            conn.execute("DELETE FROM spool WHERE seq = ?1", [seq])
                .map(|_| ())
        })
        .await
    }

    pub async fn len(&self) -> StoreResult<u64> {
        self.run(|conn| conn.query_row("SELECT COUNT(*) FROM spool", [], |r| r.get::<_, i64>(0)))
            .await
            .map(|n| n as u64)
    }
}

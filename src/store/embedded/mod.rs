//! The embedded engine: SQLite in WAL mode in the data directory. One writer thread
//! group-commits every write; reads run on a small pool of read-only connections.

mod channels;
mod deliveries;
mod destinations;
mod events;
mod fail;
mod fed_thread;
mod index;
mod messages;
pub mod migrations;
mod pool;
mod time;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::Notify;

use crate::config::Synchronous;
use crate::crypto::Cipher;
use crate::domain::channel::{Channel, ChannelState, StateChange, Transition};
use crate::domain::destination::Destination;
use crate::domain::envelope;
use crate::store::{
    plan_transition, AppendOutcome, AttemptRecord, ChannelPatch, Channels, ConversationRef,
    Delivery, DeliveryJob, DeliveryQuery, DeliveryQueue, DestinationPatch, Destinations, EventLog,
    EventQuery, HelpdeskLinks, Lane, MessageProgress, NewEvent, PlannedTransition, QueueStats,
    RelayedMessage, ReplyQueue, Store, StoreError, StoreResult, StoredEvent, TokenInfo, Tokens,
};

use fail::Res;
use pool::ReadPool;
use writer::{Durability, Writer};

pub struct EmbeddedStore {
    writer: Writer,
    /// `None` when the event index could not be opened (listings then scan).
    indexer: Option<index::Indexer>,
    reads: Arc<ReadPool>,
    cipher: Cipher,
    notify: Arc<Notify>,
}

fn open_writer(path: &Path, sync: Synchronous) -> anyhow::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!(
            "SQLite refused WAL mode (got {mode}); is the data directory on a local disk?"
        );
    }
    let sync = match sync {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
    ))?;
    migrations::run(&mut conn)?;
    Ok(conn)
}

impl EmbeddedStore {
    /// Opens (creating if needed) `{dir}/omnigate.db`, runs migrations and recovers the queue.
    pub fn open(dir: &Path, sync: Synchronous, cipher: Cipher) -> anyhow::Result<EmbeddedStore> {
        crate::files::create_private_dir(dir)?;
        let path = dir.join("omnigate.db");
        let conn = open_writer(&path, sync)?;
        deliveries::release_all_holds(&conn).map_err(StoreError::from)?;
        let notify = Arc::new(Notify::new());
        let index_path = dir.join(index::FILE);
        let indexer = index::Indexer::start(&path, &index_path);
        Ok(EmbeddedStore {
            writer: Writer::start(conn, sync, notify.clone())?,
            indexer,
            reads: Arc::new(ReadPool::new(path, 8).attach(index_path, index::ATTACHED)),
            cipher,
            notify,
        })
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::WriterCtx, &Cipher) -> Res<T> + Send + 'static,
    {
        let cipher = self.cipher.clone();
        self.writer
            .write(Durability::Durable, move |ctx| f(ctx, &cipher))
            .await
    }

    /// A write whose loss to a power cut costs at most a repeated delivery (see `writer`).
    async fn write_relaxed<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::WriterCtx) -> Res<T> + Send + 'static,
    {
        self.writer.write(Durability::Relaxed, f).await
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Cipher) -> Res<T> + Send + 'static,
    {
        let cipher = self.cipher.clone();
        self.reads.read(move |conn| f(conn, &cipher)).await
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn, _| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    fn wakeups(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    async fn close(&self) {
        if let Some(indexer) = &self.indexer {
            indexer.close();
        }
        self.writer.close();
    }

    async fn queue_stats(&self) -> StoreResult<QueueStats> {
        self.read(|conn, _| {
            Ok(conn.query_row(
                "SELECT (SELECT COUNT(*) FROM deliveries WHERE queued = 1), \
                        (SELECT COUNT(*) FROM deliveries WHERE status = 'dead'), \
                        (SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'sending'))",
                [],
                |r| {
                    Ok(QueueStats {
                        queued_deliveries: r.get::<_, i64>(0)? as u64,
                        dead_deliveries: r.get::<_, i64>(1)? as u64,
                        queued_replies: r.get::<_, i64>(2)? as u64,
                    })
                },
            )?)
        })
        .await
    }
}

#[async_trait]
impl Tokens for EmbeddedStore {
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        let (hash, role, label) = (hash.to_string(), role.to_string(), label.to_string());
        self.write(move |ctx, _| {
            ctx.conn.execute(
                "INSERT INTO api_tokens (id, hash, role, label, created_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (hash) DO UPDATE SET role = excluded.role, label = excluded.label",
                rusqlite::params![crate::ids::token_id(), hash, role, label, time::now_ms()],
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

    async fn create_token(&self, id: &str, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        let (id, hash, role, label) = (
            id.to_string(),
            hash.to_string(),
            role.to_string(),
            label.to_string(),
        );
        self.write(move |ctx, _| {
            ctx.conn.execute(
                "INSERT INTO api_tokens (id, hash, role, label, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, hash, role, label, time::now_ms()],
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
                    created_at: time::fmt_ms(r.get(3)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn delete_token(&self, id: &str) -> StoreResult<()> {
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

#[async_trait]
impl Channels for EmbeddedStore {
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel> {
        self.write(move |ctx, cipher| {
            channels::insert(&ctx.conn, cipher, &channel)?;
            Ok(
                channels::find(&ctx.conn, cipher, "id", &channel.id)?
                    .ok_or(StoreError::NotFound)?,
            )
        })
        .await
    }

    async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>> {
        let id = id.to_string();
        self.read(move |conn, cipher| channels::find(conn, cipher, "id", &id))
            .await
    }

    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        let key = key.to_string();
        self.read(move |conn, cipher| channels::find(conn, cipher, "webhook_key", &key))
            .await
    }

    async fn list_channels(&self) -> StoreResult<Vec<Channel>> {
        self.read(channels::list).await
    }

    async fn update_channel(&self, id: &str, patch: ChannelPatch) -> StoreResult<Channel> {
        let id = id.to_string();
        self.write(move |ctx, cipher| channels::update(&ctx.conn, cipher, &id, patch))
            .await
    }

    async fn delete_channel(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, cipher| channels::delete(&ctx.conn, cipher, &id))
            .await
    }

    async fn transition_channel(
        &self,
        id: &str,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: String,
    ) -> StoreResult<(Channel, Option<ChannelState>)> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |ctx, cipher| {
            let ch = channels::find(&ctx.conn, cipher, "id", &id)?.ok_or(StoreError::NotFound)?;
            let Some(PlannedTransition {
                change,
                webhook_key,
            }) = plan_transition(&ch, transition, &actor, reason)?
            else {
                return Ok((ch, None));
            };
            let to = change.state;
            channels::set_state(&ctx.conn, &ch, to, &change, webhook_key.as_deref())?;
            let updated =
                channels::find(&ctx.conn, cipher, "id", &id)?.ok_or(StoreError::NotFound)?;
            if to == ChannelState::Approved {
                events::release_held(ctx, &id)?;
            }
            let event = NewEvent {
                id: event_id.clone(),
                event_type: "channel.state_changed".into(),
                conversation_id: None,
                conversation_ref: None,
                dedup_key: None,
                envelope: envelope::state_changed(&event_id, &updated, &change),
                raw: None,
                request_id: None,
            };
            let now = time::now_ms();
            if let Some(seq) = events::insert_event(ctx, Some(&id), &event, false, now)? {
                events::fan_out(ctx, seq, &event.id, &event.event_type, Some(&id), None, now)?;
            }
            Ok((updated, Some(ch.state)))
        })
        .await
    }

    async fn channel_history(&self, id: &str) -> StoreResult<Vec<StateChange>> {
        let id = id.to_string();
        self.read(move |conn, _| channels::history(conn, &id)).await
    }
}

#[async_trait]
impl Destinations for EmbeddedStore {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination> {
        self.write(move |ctx, cipher| {
            destinations::insert(ctx, cipher, &destination)?;
            Ok(destinations::find(&ctx.conn, cipher, &destination.id)?
                .ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn get_destination(&self, id: &str) -> StoreResult<Option<Destination>> {
        let id = id.to_string();
        self.read(move |conn, cipher| destinations::find(conn, cipher, &id))
            .await
    }

    async fn list_destinations(&self) -> StoreResult<Vec<Destination>> {
        self.read(destinations::list).await
    }

    async fn update_destination(
        &self,
        id: &str,
        patch: DestinationPatch,
    ) -> StoreResult<Destination> {
        let id = id.to_string();
        self.write(move |ctx, cipher| destinations::update(ctx, cipher, &id, patch))
            .await
    }

    async fn delete_destination(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| destinations::delete(ctx, &id))
            .await
    }
}

#[async_trait]
impl EventLog for EmbeddedStore {
    async fn append(
        &self,
        channel_id: &str,
        events: Vec<NewEvent>,
    ) -> StoreResult<Vec<AppendOutcome>> {
        let channel_id = channel_id.to_string();
        let events: Vec<events::Prepared> = events.into_iter().map(events::Prepared::new).collect();
        self.write(move |ctx, _| events::append(ctx, &channel_id, &events))
            .await
    }

    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>> {
        self.read(move |conn, _| events::list(conn, &query)).await
    }

    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>> {
        let id = id.to_string();
        self.read(move |conn, _| events::get(conn, &id)).await
    }
}

#[async_trait]
impl DeliveryQueue for EmbeddedStore {
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>> {
        self.read(move |conn, _| deliveries::list(conn, &query))
            .await
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        let id = id.to_string();
        self.read(move |conn, _| deliveries::get(conn, &id)).await
    }

    async fn retry_delivery(&self, id: &str) -> StoreResult<Delivery> {
        let id = id.to_string();
        self.write(move |ctx, _| deliveries::retry(ctx, &id)).await
    }

    async fn replay(
        &self,
        destination_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let d = destination_id.to_string();
        self.write(move |ctx, _| deliveries::replay(ctx, &d, since, until))
            .await
    }

    async fn claim_lanes(
        &self,
        now_ms: i64,
        limit: usize,
        lease_until_ms: i64,
    ) -> StoreResult<Vec<Lane>> {
        self.write_relaxed(move |ctx| deliveries::claim_lanes(ctx, now_ms, limit, lease_until_ms))
            .await
    }

    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>> {
        let lane = lane.clone();
        self.read(move |conn, _| deliveries::lane_head(conn, &lane))
            .await
    }

    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<i64>> {
        self.write_relaxed(move |ctx| deliveries::record_attempt(ctx, &record))
            .await
    }

    async fn settle_lane(&self, lane: &Lane) -> StoreResult<()> {
        let lane = lane.clone();
        self.write_relaxed(move |ctx| deliveries::settle_lane(ctx, &lane))
            .await
    }

    async fn next_due(&self) -> StoreResult<Option<i64>> {
        self.read(|conn, _| deliveries::next_due(conn)).await
    }
}

#[async_trait]
impl ReplyQueue for EmbeddedStore {
    async fn conversation(&self, id: &str) -> StoreResult<Option<ConversationRef>> {
        let id = id.to_string();
        self.read(move |conn, _| messages::conversation(conn, &id))
            .await
    }

    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)> {
        self.write(move |ctx, _| messages::queue(ctx, &message))
            .await
    }

    async fn get_message(&self, id: &str) -> StoreResult<Option<RelayedMessage>> {
        let id = id.to_string();
        self.read(move |conn, _| messages::get(conn, &id)).await
    }

    async fn claim_messages(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<RelayedMessage>> {
        self.write(move |ctx, _| messages::claim(ctx, now_ms, limit))
            .await
    }

    async fn record_message(&self, id: &str, progress: MessageProgress) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| messages::record(ctx, &id, progress))
            .await
    }

    async fn next_message_due(&self) -> StoreResult<Option<i64>> {
        self.read(|conn, _| messages::next_due(conn)).await
    }

    async fn requeue_interrupted_messages(&self) -> StoreResult<u64> {
        self.write(|ctx, _| messages::requeue_interrupted(ctx))
            .await
    }
}

#[async_trait]
impl HelpdeskLinks for EmbeddedStore {
    async fn link(
        &self,
        destination_id: &str,
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
        destination_id: &str,
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
        destination_id: &str,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The read pool's connections see the index the indexer thread keeps (attached under
    /// `ix`), so filtered listings go through it rather than scanning the log.
    #[tokio::test]
    async fn read_connections_see_the_index_the_indexer_keeps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), Synchronous::Normal, Cipher::new(&[3u8; 32]))
            .expect("open");
        let last: i64 = store
            .write(|ctx, _| {
                for n in 0..5 {
                    ctx.conn.execute(
                        "INSERT INTO events (id, channel_id, conversation_id, type, received_ms, \
                         envelope) VALUES (?1, 'chn_a', 'cnv_a', 'message.received', 0, '{}')",
                        [format!("evt_{n}")],
                    )?;
                }
                Ok(ctx.conn.last_insert_rowid())
            })
            .await
            .expect("write");
        // The indexer rests up to a second between rounds.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let seen = store
                .read(|conn, _| Ok(index::watermark(conn)))
                .await
                .expect("read");
            if seen == last {
                break;
            }
            assert!(
                std::time::Instant::now() < until,
                "the read connections never saw the index reach {last} (at {seen})"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let listed = store
            .list_events(EventQuery {
                conversation: Some("cnv_a".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(listed.len(), 5);
        store.close().await;
    }
}

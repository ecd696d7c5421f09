//! The embedded engine: SQLite in WAL mode in the data directory. One writer thread
//! group-commits every write; reads run on a small pool of read-only connections.

mod agents;
pub mod backup;
mod channels;
mod deliveries;
mod destinations;
mod events;
mod fail;
mod fed_thread;
mod index;
mod links;
mod messages;
pub mod migrations;
mod paging;
mod pool;
mod tokens;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;
use tokio::sync::Notify;

use crate::config::Synchronous;
use crate::crypto::Cipher;
use crate::store::{QueueStats, Store, StoreError, StoreResult};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventLog, EventQuery};

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

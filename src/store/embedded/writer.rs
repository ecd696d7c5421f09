//! The single writer thread. Every write is a job; the thread takes all jobs waiting, runs each
//! in its own savepoint inside one transaction, commits once, and only then answers them. So
//! concurrent webhooks share one fsync (group commit), and no caller hears "stored" before the
//! commit is durable.
//!
//! Some writes do not need their own fsync: the forwarder's bookkeeping (lane leases, attempt
//! results). Losing the last of those to a power cut only means a delivery is sent again (with
//! the same `webhook-id`), never that one is lost; and a crash of the process alone loses none
//! of it in WAL mode. Those *relaxed* jobs of a batch are committed first, in their own
//! transaction with `synchronous = NORMAL`, and answered without waiting for the disk; the next
//! durable commit (whose fsync covers the whole WAL) or checkpoint makes them durable too.

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::{oneshot, Notify};

use super::fail::Res;
use crate::config::Synchronous;
use crate::store::{StoreError, StoreResult};

use super::destinations::DestFilter;
use super::fed_thread::FedThread;

/// How many jobs one transaction takes at most.
const MAX_BATCH: usize = 1024;

/// What a job sees: the connection, plus state only the writer touches.
pub struct WriterCtx {
    pub conn: Connection,
    /// Enabled destinations' filters, loaded on first use; jobs that change destinations
    /// clear it.
    pub destinations: Option<Vec<DestFilter>>,
    /// Set by jobs that queued deliveries, so the forwarder is woken after the commit.
    pub wake: bool,
}

type Finisher = Box<dyn FnOnce(Result<(), String>) + Send>;
type Work = Box<dyn FnOnce(&mut WriterCtx) -> Finisher + Send>;

/// How soon a job's commit must reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Answered only after the commit is durable in the configured `synchronous` mode.
    Durable,
    /// May be answered after a `synchronous = NORMAL` commit (survives a crash of the process;
    /// a power cut can undo it until the next durable commit).
    Relaxed,
}

struct Job {
    durability: Durability,
    work: Work,
}

pub struct Writer {
    thread: FedThread<Job>,
}

impl Writer {
    /// `sync` is the mode the connection was opened with (what durable jobs get).
    pub fn start(
        conn: Connection,
        sync: Synchronous,
        notify: std::sync::Arc<Notify>,
    ) -> anyhow::Result<Writer> {
        let thread = FedThread::spawn("store-writer", move |jobs| run(conn, sync, jobs, notify))?;
        Ok(Writer { thread })
    }

    /// Runs `f` inside the next group transaction and returns its result once committed.
    pub async fn write<T, F>(&self, durability: Durability, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriterCtx) -> Res<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<StoreResult<T>>();
        let work: Work = Box::new(move |ctx: &mut WriterCtx| {
            let result = in_savepoint(ctx, f).map_err(StoreError::from);
            Box::new(move |commit: Result<(), String>| {
                let outcome = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Internal(anyhow::anyhow!("commit failed: {e}"))),
                };
                let _ = reply.send(outcome);
            })
        });
        self.thread
            .send(Job { durability, work })
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| {
            StoreError::Internal(anyhow::anyhow!("the store could not begin a transaction"))
        })?
    }

    /// Stops taking jobs, lets the thread commit what it has, and waits for it.
    pub fn close(&self) {
        self.thread.close();
    }
}

fn in_savepoint<T>(ctx: &mut WriterCtx, f: impl FnOnce(&mut WriterCtx) -> Res<T>) -> Res<T> {
    // Prepared once and cached: these run twice per write on the hot path.
    ctx.conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    let wake_before = ctx.wake;
    let result = f(ctx);
    match &result {
        Ok(_) => {
            ctx.conn.prepare_cached("RELEASE job")?.execute([])?;
        }
        Err(_) => {
            ctx.wake = wake_before;
            ctx.destinations = None;
            ctx.conn.prepare_cached("ROLLBACK TO job")?.execute([])?;
            ctx.conn.prepare_cached("RELEASE job")?.execute([])?;
        }
    }
    result
}

fn pragma(sync: Synchronous) -> &'static str {
    match sync {
        Synchronous::Full => "PRAGMA synchronous = FULL",
        Synchronous::Normal => "PRAGMA synchronous = NORMAL",
    }
}

fn run(
    conn: Connection,
    sync: Synchronous,
    rx: mpsc::Receiver<Job>,
    notify: std::sync::Arc<Notify>,
) {
    let mut ctx = WriterCtx {
        conn,
        destinations: None,
        wake: false,
    };
    // The mode the connection is in now; switched only between transactions.
    let mut current = sync;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (relaxed, durable): (Vec<Job>, Vec<Job>) = if sync == Synchronous::Full {
            batch
                .into_iter()
                .partition(|j| j.durability == Durability::Relaxed)
        } else {
            // Every commit is already NORMAL: one transaction for all.
            (Vec::new(), batch)
        };
        for (group, mode) in [(relaxed, Synchronous::Normal), (durable, sync)] {
            if group.is_empty() {
                continue;
            }
            if current != mode {
                match ctx.conn.execute_batch(pragma(mode)) {
                    Ok(()) => current = mode,
                    Err(e) => {
                        // Stay on the stricter side: run the group in the current mode only if
                        // that is at least as durable as asked.
                        tracing::error!(error = %e, "store writer cannot switch synchronous mode");
                        if mode == Synchronous::Full {
                            continue;
                        }
                    }
                }
            }
            commit_group(&mut ctx, group, &notify);
        }
    }
}

/// Runs one group of jobs in one transaction, commits, and answers each.
fn commit_group(ctx: &mut WriterCtx, group: Vec<Job>, notify: &Notify) {
    if let Err(e) = ctx.conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = e.to_string();
        tracing::error!(error = %msg, "store writer cannot begin a transaction");
        // The jobs never ran; dropping them answers their callers with the failure.
        drop(group);
        return;
    }
    let finishers: Vec<Finisher> = group.into_iter().map(|job| (job.work)(ctx)).collect();
    let commit = ctx.conn.execute_batch("COMMIT").map_err(|e| e.to_string());
    if let Err(e) = &commit {
        tracing::error!(error = %e, jobs = finishers.len(), "store commit failed");
        let _ = ctx.conn.execute_batch("ROLLBACK");
        ctx.destinations = None;
        ctx.wake = false;
    }
    let ok = commit.is_ok();
    for finish in finishers {
        finish(commit.clone());
    }
    if ok && std::mem::take(&mut ctx.wake) {
        notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous_in_job(ctx: &mut WriterCtx) -> Res<i64> {
        Ok(ctx
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?)
    }

    fn writer(dir: &std::path::Path, sync: Synchronous) -> Writer {
        let conn = Connection::open(dir.join("w.db")).expect("open");
        conn.execute_batch(&format!("PRAGMA journal_mode = WAL; {};", pragma(sync)))
            .expect("pragmas");
        conn.execute_batch("CREATE TABLE t (v INTEGER)")
            .expect("table");
        Writer::start(conn, sync, std::sync::Arc::new(Notify::new())).expect("start")
    }

    // SQLite's codes: 1 = NORMAL, 2 = FULL.
    #[tokio::test]
    async fn durable_jobs_commit_in_full_mode_even_right_after_relaxed_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = writer(dir.path(), Synchronous::Full);
        for _ in 0..3 {
            let relaxed = w.write(Durability::Relaxed, synchronous_in_job).await;
            assert_eq!(relaxed.expect("relaxed"), 1);
            let durable = w.write(Durability::Durable, synchronous_in_job).await;
            assert_eq!(durable.expect("durable"), 2);
        }
        // Many at once land in one batch: each still gets its own mode, and every write is kept.
        let mut calls = Vec::new();
        for i in 0..50i64 {
            let durability = if i % 2 == 0 {
                Durability::Relaxed
            } else {
                Durability::Durable
            };
            calls.push(w.write(durability, move |ctx| {
                ctx.conn.execute("INSERT INTO t (v) VALUES (?1)", [i])?;
                Ok((durability, synchronous_in_job(ctx)?))
            }));
        }
        for (durability, mode) in futures_util::future::join_all(calls)
            .await
            .into_iter()
            .map(|r| r.expect("write"))
        {
            let want = if durability == Durability::Relaxed {
                1
            } else {
                2
            };
            assert_eq!(mode, want, "{durability:?}");
        }
        let count = w
            .write(Durability::Durable, |ctx| {
                Ok(ctx
                    .conn
                    .query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?)
            })
            .await
            .expect("count");
        assert_eq!(count, 50);
        w.close();
    }

    #[tokio::test]
    async fn with_synchronous_normal_configured_everything_is_normal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = writer(dir.path(), Synchronous::Normal);
        assert_eq!(
            w.write(Durability::Durable, synchronous_in_job)
                .await
                .expect("durable"),
            1
        );
        assert_eq!(
            w.write(Durability::Relaxed, synchronous_in_job)
                .await
                .expect("relaxed"),
            1
        );
        w.close();
    }
}

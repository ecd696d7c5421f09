//! The single writer thread. Every write is a job; the thread takes all jobs waiting, runs each
//! in its own savepoint inside one transaction, commits once, and only then answers them. So
//! concurrent webhooks share one fsync (group commit), and no caller hears "stored" before the
//! commit is durable.

use std::sync::mpsc;
use std::sync::Mutex;

use rusqlite::Connection;
use tokio::sync::{oneshot, Notify};

use crate::store::{StoreError, StoreResult};

use super::destinations::DestFilter;

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
type Job = Box<dyn FnOnce(&mut WriterCtx) -> Finisher + Send>;

pub struct Writer {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Writer {
    pub fn start(conn: Connection, notify: std::sync::Arc<Notify>) -> anyhow::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("omnigate-store-writer".into())
            .spawn(move || run(conn, rx, notify))?;
        Ok(Writer {
            sender: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs `f` inside the next group transaction and returns its result once committed.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriterCtx) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |ctx: &mut WriterCtx| {
            let result = in_savepoint(ctx, f);
            Box::new(move |commit: Result<(), String>| {
                let outcome = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Internal(anyhow::anyhow!("commit failed: {e}"))),
                };
                let _ = reply.send(outcome);
            })
        });
        {
            let guard = self.sender.lock().map_err(|_| StoreError::Closed)?;
            let sender = guard.as_ref().ok_or(StoreError::Closed)?;
            sender.send(job).map_err(|_| StoreError::Closed)?;
        }
        answer.await.map_err(|_| {
            StoreError::Internal(anyhow::anyhow!("the store could not begin a transaction"))
        })?
    }

    /// Stops taking jobs, lets the thread commit what it has, and waits for it.
    pub fn close(&self) {
        if let Ok(mut guard) = self.sender.lock() {
            guard.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

fn in_savepoint<T>(
    ctx: &mut WriterCtx,
    f: impl FnOnce(&mut WriterCtx) -> StoreResult<T>,
) -> StoreResult<T> {
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

fn run(conn: Connection, rx: mpsc::Receiver<Job>, notify: std::sync::Arc<Notify>) {
    let mut ctx = WriterCtx {
        conn,
        destinations: None,
        wake: false,
    };
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = ctx.conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = e.to_string();
            tracing::error!(error = %msg, "store writer cannot begin a transaction");
            for job in batch {
                // The job never ran; answer it with the failure.
                drop(job);
            }
            continue;
        }
        let finishers: Vec<Finisher> = batch.into_iter().map(|job| job(&mut ctx)).collect();
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
}

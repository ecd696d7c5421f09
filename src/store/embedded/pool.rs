//! Read connections. WAL mode lets readers run beside the writer; each read runs on the
//! blocking pool with a connection taken from here and put back after. At most `size` reads run
//! at once (the others wait their turn), so the connections are opened once and reused: without
//! the bound, a burst of concurrent reads would start a blocking thread and open (and later
//! close) a connection, with its own page cache, for each.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::fail::Res;
use crate::store::{StoreError, StoreResult};

pub struct ReadPool {
    path: PathBuf,
    /// A database each connection attaches (as `schema`), when it can.
    attach: Option<(PathBuf, &'static str)>,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
    running: tokio::sync::Semaphore,
}

impl ReadPool {
    pub fn new(path: PathBuf, size: usize) -> ReadPool {
        ReadPool {
            path,
            attach: None,
            idle: Mutex::new(Vec::new()),
            max_idle: size,
            running: tokio::sync::Semaphore::new(size),
        }
    }

    /// Each connection also attaches the database at `path` read-only as `schema` (a
    /// connection that cannot, because the file is missing, goes without it).
    pub fn attach(mut self, path: PathBuf, schema: &'static str) -> ReadPool {
        self.attach = Some((path, schema));
        self
    }

    fn take(&self) -> Res<Connection> {
        if let Some(conn) = self.idle.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if let Some((path, schema)) = &self.attach {
            if path.exists() {
                if let Err(e) = conn.execute(
                    &format!("ATTACH DATABASE ?1 AS {schema}"),
                    [path.to_string_lossy()],
                ) {
                    tracing::warn!(error = %e, path = %path.display(), "cannot attach to a read connection");
                }
            }
        }
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(conn);
            }
        }
    }

    /// Runs `f` with a read connection on the blocking thread pool.
    pub async fn read<T, F>(self: &std::sync::Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Res<T> + Send + 'static,
    {
        let permit = self
            .running
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let pool = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let result = f(&conn);
            pool.put(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("read task failed: {e}")))?;
        drop(permit);
        result.map_err(StoreError::from)
    }
}

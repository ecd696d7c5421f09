//! The event log's secondary indexes (by conversation, channel and type), kept off the ingest
//! path. Indexing each event as it is stored costs the single writer one more B-tree page per
//! event and index: a conversation's events land on a random page of a conversation index, so a
//! commit of n webhooks rewrote about n such pages (most of the bytes written per event). Here
//! an indexer thread adds the keys of many events at once, in key order, to a database of its
//! own (`omnigate-index.db`, so it never waits for the writer's lock nor holds it): a page
//! then takes every new event of its conversation in one write.
//!
//! The index is derived data. It records how far it has indexed (`indexed.seq`, with that
//! event's id to recognize a different or restored event log, which makes it start over); a
//! listing uses the index up to that point and scans the few events stored since. Deleting the
//! file loses nothing: it is rebuilt in the background, and listings stay correct meanwhile.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::fed_thread::FedThread;
use crate::store::EventQuery;

/// The index's file name in the data directory.
pub const FILE: &str = "omnigate-index.db";

/// The schema name the read connections attach the index under.
pub const ATTACHED: &str = "ix";

/// Bumped when the index's layout changes: a file of another version is rebuilt.
const VERSION: i64 = 1;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS event_keys (
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (key, seq)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS indexed (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        event_id TEXT
    );
    INSERT OR IGNORE INTO indexed (id, seq, event_id) VALUES (1, 0, NULL);
";

/// Events indexed in one transaction at most.
const CHUNK: i64 = 20_000;

/// How long the indexer rests once it has caught up. Listings never wait for it (they scan
/// what it has not indexed yet); a longer rest gives each index page more new keys per write.
const REST: Duration = Duration::from_secs(1);

/// The key under which a query's events are indexed: the most selective filter it has.
pub fn key_of(q: &EventQuery) -> Option<String> {
    if let Some(c) = &q.conversation {
        return Some(format!("cnv:{c}"));
    }
    if let Some(c) = &q.channel {
        return Some(format!("chn:{c}"));
    }
    q.event_type.as_ref().map(|t| format!("typ:{t}"))
}

fn keys_of(
    channel: Option<String>,
    conversation: Option<String>,
    event_type: String,
) -> impl Iterator<Item = String> {
    [
        conversation.map(|c| format!("cnv:{c}")),
        channel.map(|c| format!("chn:{c}")),
        Some(format!("typ:{event_type}")),
    ]
    .into_iter()
    .flatten()
}

/// How far the attached index reaches (0 when it is missing or unreadable: then a listing
/// scans the event log, slower but still right).
pub fn watermark(conn: &Connection) -> i64 {
    conn.prepare_cached(&format!("SELECT seq FROM {ATTACHED}.indexed WHERE id = 1"))
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .unwrap_or(0)
}

/// Opens the index file, creating or rebuilding it as needed.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
    // Derived data: a power cut may undo its last moments, never corrupt it.
    conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != VERSION {
        conn.execute_batch(
            "BEGIN; DROP TABLE IF EXISTS event_keys; DROP TABLE IF EXISTS indexed; COMMIT;",
        )?;
    }
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", VERSION)?;
    Ok(conn)
}

/// Starts over when the index was built from another event log (a restored or replaced
/// database): the event it stopped at must still be there, with the same id.
fn check_same_log(ix: &Connection, events: &Connection) -> rusqlite::Result<()> {
    let (seq, event_id): (i64, Option<String>) =
        ix.query_row("SELECT seq, event_id FROM indexed WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if seq == 0 {
        return Ok(());
    }
    let found: Option<String> = events
        .query_row("SELECT id FROM events WHERE seq = ?1", [seq], |r| r.get(0))
        .optional()?;
    if found.is_some() && found == event_id {
        return Ok(());
    }
    tracing::warn!(
        indexed_up_to = seq,
        "the event index was built from another event log; rebuilding it"
    );
    ix.execute_batch(
        "BEGIN; DELETE FROM event_keys; UPDATE indexed SET seq = 0, event_id = NULL; COMMIT;",
    )
}

/// Indexes the next events after the watermark, up to `chunk`; returns how many.
pub fn index_next(ix: &mut Connection, events: &Connection, chunk: i64) -> rusqlite::Result<usize> {
    let done: i64 = ix.query_row("SELECT seq FROM indexed WHERE id = 1", [], |r| r.get(0))?;
    let mut stmt = events.prepare_cached(
        "SELECT seq, id, channel_id, conversation_id, type FROM events \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let mut keys: Vec<(String, i64)> = Vec::new();
    let mut last: Option<(i64, String)> = None;
    let mut count = 0usize;
    let mut rows = stmt.query(params![done, chunk])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        keys.extend(keys_of(row.get(2)?, row.get(3)?, row.get(4)?).map(|k| (k, seq)));
        last = Some((seq, row.get(1)?));
        count += 1;
    }
    drop(rows);
    let Some((last_seq, last_id)) = last else {
        return Ok(0);
    };
    // In key order, each page of the index is visited once.
    keys.sort_unstable();
    let tx = ix.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT OR IGNORE INTO event_keys (key, seq) VALUES (?1, ?2)")?;
        for (key, seq) in &keys {
            insert.execute(params![key, seq])?;
        }
    }
    tx.execute(
        "UPDATE indexed SET seq = ?1, event_id = ?2 WHERE id = 1",
        params![last_seq, last_id],
    )?;
    tx.commit()?;
    Ok(count)
}

/// The indexer thread (fed nothing: closing its channel stops it).
pub struct Indexer {
    thread: FedThread<()>,
}

impl Indexer {
    /// Opens (or rebuilds) the index next to the event log at `db` and starts indexing. A
    /// file that cannot be opened is replaced once; if that fails too, the gateway runs
    /// without the index (listings scan) and says so.
    pub fn start(db: &Path, index: &Path) -> Option<Indexer> {
        let ix = match open(index) {
            Ok(ix) => Ok(ix),
            Err(e) => {
                tracing::warn!(error = %e, path = %index.display(), "the event index cannot be opened; replacing it");
                remove(index);
                open(index)
            }
        };
        let started = ix.and_then(|ix| {
            let events = Connection::open_with_flags(
                db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            events.busy_timeout(Duration::from_secs(5))?;
            check_same_log(&ix, &events)?;
            Ok((ix, events))
        });
        let (ix, events) = match started {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!(error = %e, "the event index is unavailable; filtered event listings will scan the whole log");
                return None;
            }
        };
        match FedThread::spawn("store-indexer", move |stopped| run(ix, events, stopped)) {
            Ok(thread) => Some(Indexer { thread }),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the event indexer");
                None
            }
        }
    }

    /// Stops the thread (after the chunk it is on) and waits for it.
    pub fn close(&self) {
        self.thread.close();
    }
}

fn remove(index: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = index.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn run(mut ix: Connection, events: Connection, stopped: mpsc::Receiver<()>) {
    let mut failing = false;
    loop {
        let rest = match index_next(&mut ix, &events, CHUNK) {
            Ok(n) => {
                if failing {
                    tracing::info!("the event index is being updated again");
                    failing = false;
                }
                if n as i64 == CHUNK {
                    Duration::ZERO
                } else {
                    REST
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "the event index could not be updated; retrying");
                    failing = true;
                }
                REST
            }
        };
        match stopped.recv_timeout(rest) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            // Closed (or, never, a message): stop.
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_log(dir: &Path) -> Connection {
        let mut conn = Connection::open(dir.join("omnigate.db")).expect("open");
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .expect("wal");
        super::super::migrations::run(&mut conn).expect("migrate");
        conn
    }

    fn append(conn: &Connection, id: &str, conversation: Option<&str>, kind: &str) -> i64 {
        conn.execute(
            "INSERT INTO events (id, channel_id, conversation_id, type, received_ms, envelope) \
             VALUES (?1, 'chn_a', ?2, ?3, 0, '{}')",
            params![id, conversation, kind],
        )
        .expect("insert");
        conn.last_insert_rowid()
    }

    fn keys(ix: &Connection) -> Vec<(String, i64)> {
        let mut stmt = ix
            .prepare("SELECT key, seq FROM event_keys ORDER BY key, seq")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    }

    #[test]
    fn events_are_indexed_in_chunks_under_each_key_and_the_watermark_follows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = event_log(dir.path());
        let a = append(&log, "evt_1", Some("cnv_a"), "message.received");
        let b = append(&log, "evt_2", None, "channel.state_changed");
        let c = append(&log, "evt_3", Some("cnv_a"), "message.received");
        let mut ix = open(&dir.path().join(FILE)).expect("index");
        assert_eq!(index_next(&mut ix, &log, 2).expect("first chunk"), 2);
        assert_eq!(index_next(&mut ix, &log, 2).expect("second chunk"), 1);
        assert_eq!(index_next(&mut ix, &log, 2).expect("caught up"), 0);
        assert_eq!(
            keys(&ix),
            vec![
                ("chn:chn_a".to_string(), a),
                ("chn:chn_a".to_string(), b),
                ("chn:chn_a".to_string(), c),
                ("cnv:cnv_a".to_string(), a),
                ("cnv:cnv_a".to_string(), c),
                ("typ:channel.state_changed".to_string(), b),
                ("typ:message.received".to_string(), a),
                ("typ:message.received".to_string(), c),
            ]
        );
        let seq: i64 = ix
            .query_row("SELECT seq FROM indexed", [], |r| r.get(0))
            .expect("watermark");
        assert_eq!(seq, c);
    }

    #[test]
    fn listings_read_the_index_then_the_events_stored_since() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = event_log(dir.path());
        let mut seqs = Vec::new();
        for n in 0..10 {
            let conversation = if n % 2 == 0 { "cnv_even" } else { "cnv_odd" };
            seqs.push(append(
                &log,
                &format!("evt_{n}"),
                Some(conversation),
                "message.received",
            ));
        }
        let path = dir.path().join(FILE);
        let mut ix = open(&path).expect("index");
        // The first six are indexed; the last four only in the log.
        index_next(&mut ix, &log, 6).expect("index");
        log.execute(
            &format!("ATTACH DATABASE ?1 AS {ATTACHED}"),
            [path.to_string_lossy()],
        )
        .expect("attach");
        assert_eq!(watermark(&log), seqs[5]);
        // A stale key the log contradicts (as after a crash between the two files) is not
        // taken on trust: every filter is checked on the event itself.
        ix.execute(
            "INSERT INTO event_keys (key, seq) VALUES ('cnv:cnv_even', ?1)",
            [seqs[1]],
        )
        .expect("stale key");
        let list = |conversation: &str, after: Option<i64>, limit: usize| -> Vec<i64> {
            let q = EventQuery {
                conversation: Some(conversation.into()),
                after_seq: after,
                limit,
                ..Default::default()
            };
            super::super::events::list(&log, &q)
                .expect("list")
                .into_iter()
                .map(|e| e.seq)
                .collect()
        };
        let even: Vec<i64> = seqs.iter().step_by(2).copied().collect();
        assert_eq!(list("cnv_even", None, 100), even);
        // Pages of two cross the watermark without a gap or a repeat.
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = list("cnv_even", after, 2);
            if page.is_empty() {
                break;
            }
            after = page.last().copied();
            paged.extend(page);
        }
        assert_eq!(paged, even);
        assert_eq!(list("cnv_odd", Some(seqs[7]), 100), vec![seqs[9]]);
        // By type (another key), and with no filter at all (the log in order).
        let q = EventQuery {
            event_type: Some("message.received".into()),
            limit: 100,
            ..Default::default()
        };
        let by_type = super::super::events::list(&log, &q).expect("list");
        assert_eq!(by_type.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
        let q = EventQuery {
            limit: 3,
            ..Default::default()
        };
        let all = super::super::events::list(&log, &q).expect("list");
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs[..3]);
    }

    #[test]
    fn an_index_of_another_event_log_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = event_log(dir.path());
        append(&log, "evt_1", Some("cnv_a"), "message.received");
        let path = dir.path().join(FILE);
        let mut ix = open(&path).expect("index");
        index_next(&mut ix, &log, 100).expect("index");
        check_same_log(&ix, &log).expect("same log");
        assert_eq!(keys(&ix).len(), 3, "kept: it is the same log");
        // The log is replaced by another whose first event has a different id.
        log.execute("DELETE FROM events", []).expect("delete");
        log.execute(
            "INSERT INTO events (seq, id, channel_id, conversation_id, type, received_ms, envelope) \
             VALUES (1, 'evt_other', 'chn_b', NULL, 'message.received', 0, '{}')",
            [],
        )
        .expect("insert");
        check_same_log(&ix, &log).expect("rebuild");
        assert!(keys(&ix).is_empty());
        index_next(&mut ix, &log, 100).expect("reindex");
        assert_eq!(
            keys(&ix),
            vec![
                ("chn:chn_b".to_string(), 1),
                ("typ:message.received".to_string(), 1)
            ]
        );
    }

    #[test]
    fn an_index_file_of_another_layout_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE);
        {
            let old = Connection::open(&path).expect("open");
            old.execute_batch(
                "CREATE TABLE event_keys (key TEXT, seq INTEGER, extra TEXT); \
                 INSERT INTO event_keys VALUES ('cnv:x', 1, 'y'); PRAGMA user_version = 99;",
            )
            .expect("old layout");
        }
        let ix = open(&path).expect("reopen");
        assert!(keys(&ix).is_empty());
        let version: i64 = ix
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, VERSION);
    }
}

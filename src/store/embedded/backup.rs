//! Online backup and restore of the embedded store through SQLite's backup API
//! (`sqlite3_backup_*`), never a file copy: copying `omnigate.db` while the gateway writes
//! would miss what is still in its WAL, or catch a page half-written.
//!
//! The backup copies every page in one step, inside one read transaction: in WAL mode a
//! reader never blocks the writer, so ingest and delivery go on, and the copy is the database
//! exactly as of one commit. (Copying a few pages at a time would let the gateway's writes
//! restart the copy from the beginning each time, which under steady ingest never ends.)
//! The derived event index (`omnigate-index.db`) is not backed up: a restored gateway rebuilds
//! it in the background.

use std::path::Path;

use anyhow::{bail, Context};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::{index, migrations};

/// The event log's file name in the data directory.
pub const DATABASE: &str = "omnigate.db";

/// What a backup or restore copied.
#[derive(Debug, Clone, Copy)]
pub struct Copied {
    pub pages: i64,
    pub events: i64,
}

/// Copies the live database in `data_dir` to the new file `to` (which must not exist).
pub fn backup(data_dir: &Path, to: &Path) -> anyhow::Result<Copied> {
    let db = data_dir.join(DATABASE);
    if !db.is_file() {
        bail!("no embedded store at {}", db.display());
    }
    if to.exists() {
        bail!("{} exists already; name a new file", to.display());
    }
    let from = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", db.display()))?;
    from.busy_timeout(std::time::Duration::from_secs(5))?;
    crate::files::private_database_files(to.parent().unwrap_or(Path::new(".")), &[file_name(to)?])?;
    let mut dest = Connection::open(to).with_context(|| format!("creating {}", to.display()))?;
    copy(&from, &mut dest)?;
    // A self-contained file: no WAL beside it.
    dest.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    })?;
    summary(&dest)
}

/// Puts the backup `file` into `data_dir`, which must hold no store yet; checks the file first.
pub fn restore(file: &Path, data_dir: &Path) -> anyhow::Result<Copied> {
    let from = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", file.display()))?;
    check(&from).with_context(|| format!("{} is not a usable backup", file.display()))?;
    crate::files::create_private_dir(data_dir)?;
    for name in [DATABASE, index::FILE] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = data_dir.join(format!("{name}{suffix}"));
            if path.exists() {
                bail!(
                    "{} exists: restore only into a data directory without a store \
                     (stop the gateway and move its data directory aside first)",
                    path.display()
                );
            }
        }
    }
    crate::files::private_database_files(data_dir, &[DATABASE])?;
    let mut dest = Connection::open(data_dir.join(DATABASE))?;
    copy(&from, &mut dest)?;
    summary(&dest)
}

fn file_name(path: &Path) -> anyhow::Result<&str> {
    path.file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name", path.display()))
}

fn copy(from: &Connection, to: &mut Connection) -> anyhow::Result<()> {
    use rusqlite::backup::StepResult;
    let backup = Backup::new(from, to)?;
    // -1: every page in one step (`run_to_completion` takes only positive steps).
    for _ in 0..100 {
        match backup.step(-1).context("copying the database")? {
            StepResult::Done => return Ok(()),
            // The source was locked for a moment (a checkpoint); try again shortly.
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    bail!("the database stayed locked; try again")
}

/// An intact omnigate database of a schema this build reads.
fn check(conn: &Connection) -> anyhow::Result<()> {
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        bail!("SQLite finds it damaged: {verdict}");
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        bail!("it holds no omnigate schema");
    }
    if version > migrations::CURRENT {
        bail!(
            "its schema version {version} is newer than this build's {}",
            migrations::CURRENT
        );
    }
    Ok(())
}

fn summary(conn: &Connection) -> anyhow::Result<Copied> {
    Ok(Copied {
        pages: conn.query_row("PRAGMA page_count", [], |r| r.get(0))?,
        events: conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?,
    })
}

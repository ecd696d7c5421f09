//! Files in the data directory that only the gateway's user may read.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to a new file readable by its owner only (0600 on Unix).
pub fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Creates `dir` (and any missing parent) readable by its owner only (0700 on Unix): the data
/// directory holds customers' messages. A directory that already exists keeps its mode.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the SQLite files named `names` in `dir` readable by their owner only (0600 on Unix)
/// before SQLite opens them: SQLite creates a database 0644, and its WAL and shared-memory
/// files take the database file's mode, so an empty database file created 0600 here keeps all
/// of them private. Files that already exist (from an older version) are tightened.
pub fn private_database_files(dir: &Path, names: &[&str]) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        for name in names {
            let main = dir.join(name);
            if !main.exists() {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&main)
                    .with_context(|| format!("creating {}", main.display()))?;
            }
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let path = dir.join(format!("{name}{suffix}"));
                if path.exists() {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("making {} private", path.display()))?;
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, names);
    Ok(())
}

/// The mode of `dir` when others than its owner may read or enter it (Unix), for a warning: a
/// data directory created beforehand (a container image's `mkdir -p /data`, a bind mount) keeps
/// its mode, and the messages in it would be readable by other local users.
pub fn permissive_dir(dir: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_data_directory_is_private_and_an_existing_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("a").join("data");
        create_private_dir(&dir).expect("created");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).expect("chmod");
        create_private_dir(&dir).expect("exists already");
        assert_eq!(mode(&dir), 0o750);
        assert_eq!(permissive_dir(&dir), Some(0o750));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        assert_eq!(permissive_dir(&dir), None);
    }

    #[cfg(unix)]
    #[test]
    fn database_files_are_created_private_and_existing_ones_are_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let old = dir.path().join("old.db-wal");
        std::fs::write(dir.path().join("old.db"), b"").expect("write");
        std::fs::write(&old, b"").expect("write");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        private_database_files(dir.path(), &["new.db", "old.db"]).expect("done");
        assert_eq!(mode(&dir.path().join("new.db")), 0o600);
        assert_eq!(mode(&dir.path().join("old.db")), 0o600);
        assert_eq!(mode(&old), 0o600);
        // SQLite takes the empty file as a new database, and its WAL follows the file's mode.
        let conn = rusqlite::Connection::open(dir.path().join("new.db")).expect("open");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.execute("CREATE TABLE t (x)", []).expect("write");
        assert_eq!(mode(&dir.path().join("new.db-wal")), 0o600);
    }
}

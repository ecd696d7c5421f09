//! Listings in pages: rows in creation order (`created_ms`, then `rowid`), after the row a
//! cursor names by id. Channels and destinations page this way.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::fail::{Fail, Res};
use crate::store::StoreError;

/// Up to `limit` rows of `table` (reading `columns`) after the row whose id is `after`, each
/// read by `read`; an `after` that names no row is `NotFound`.
pub fn page<T, E>(
    conn: &Connection,
    table: &str,
    columns: &str,
    after: Option<&str>,
    limit: usize,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<Result<T, E>>,
) -> Res<Vec<T>>
where
    Fail: From<E>,
{
    let (ms, rowid) = start(conn, table, after)?;
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE (created_ms, rowid) > (?1, ?2) \
         ORDER BY created_ms, rowid LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ms, rowid, limit as i64], read)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// Where a page starts: the creation order of the row named `after`, or the very beginning.
fn start(conn: &Connection, table: &str, after: Option<&str>) -> Res<(i64, i64)> {
    let Some(id) = after else {
        return Ok((i64::MIN, i64::MIN));
    };
    let sql = format!("SELECT created_ms, rowid FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)?)
}

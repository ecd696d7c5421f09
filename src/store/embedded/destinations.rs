//! Destination rows: the signing secret sealed with the master key, filters as JSON arrays.

use crate::domain::ids::{ChannelId, DestinationId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::fail::{Fail, Res};
use crate::crypto::Cipher;
use crate::domain::destination::{matches, Destination, DestinationKind};
use crate::store::{DestinationPatch, StoreError, StoreResult};

use super::writer::WriterCtx;
use super::EmbeddedStore;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::time::Timestamp;
use crate::store::Destinations;
use async_trait::async_trait;

/// What fan-out needs of an enabled destination, cached by the writer.
#[derive(Debug, Clone)]
pub struct DestFilter {
    pub id: DestinationId,
    pub event_types: Vec<String>,
    pub channels: Vec<ChannelId>,
}

impl DestFilter {
    pub fn wants(&self, event_type: &str, channel_id: Option<&str>) -> bool {
        matches(&self.event_types, &self.channels, event_type, channel_id)
    }
}

const COLUMNS: &str = "id, url, secret, event_types, channels, include_raw, enabled, \
                       disabled_reason, created_ms, updated_ms, kind, kind_settings, disabled_ms";

fn json_list<T: serde::de::DeserializeOwned>(s: &str) -> Vec<T> {
    serde_json::from_str(s).unwrap_or_default()
}

fn from_row(row: &Row<'_>, cipher: &Cipher) -> rusqlite::Result<StoreResult<Destination>> {
    let sealed: Vec<u8> = row.get(2)?;
    let id: DestinationId = row.get(0)?;
    let types: String = row.get(3)?;
    let channels: String = row.get(4)?;
    let secret = match cipher.open(&sealed).map(String::from_utf8) {
        Ok(Ok(s)) => SecretString::from(s),
        _ => {
            return Ok(Err(StoreError::Internal(anyhow::anyhow!(
                "destination {id}: signing secret unreadable (wrong master key?)"
            ))))
        }
    };
    let kind: String = row.get(10)?;
    let sealed_settings: Option<Vec<u8>> = row.get(11)?;
    let opened = match sealed_settings.map(|s| cipher.open(&s)).transpose() {
        Ok(opened) => opened,
        Err(_) => {
            return Ok(Err(StoreError::Internal(anyhow::anyhow!(
                "destination {id}: {kind} settings unreadable (wrong master key?)"
            ))))
        }
    };
    let kind = match DestinationKind::from_stored(&kind, opened.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            return Ok(Err(StoreError::Internal(anyhow::anyhow!(
                "destination {id}: {kind} settings unreadable: {e}"
            ))))
        }
    };
    Ok(Ok(Destination {
        kind,
        id,
        url: row.get(1)?,
        secret,
        event_types: json_list(&types),
        channels: json_list(&channels),
        include_raw: row.get(5)?,
        enabled: row.get(6)?,
        disabled_reason: row.get(7)?,
        disabled_at: row.get::<_, Option<i64>>(12)?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(row.get(8)?),
        updated_at: Timestamp::from_millis(row.get(9)?),
    }))
}

pub fn find(conn: &Connection, cipher: &Cipher, id: &str) -> Res<Option<Destination>> {
    let sql = format!("SELECT {COLUMNS} FROM destinations WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], |r| from_row(r, cipher))
        .optional()?
        .transpose()
        .map_err(Fail::from)
}

pub fn list(conn: &Connection, cipher: &Cipher) -> Res<Vec<Destination>> {
    let sql = format!("SELECT {COLUMNS} FROM destinations ORDER BY created_ms, rowid");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |r| from_row(r, cipher))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

pub fn page(
    conn: &Connection,
    cipher: &Cipher,
    after: Option<&str>,
    limit: usize,
) -> Res<Vec<Destination>> {
    super::paging::page(conn, "destinations", COLUMNS, after, limit, |r| {
        from_row(r, cipher)
    })
}

/// The enabled destinations' filters, from the writer's cache.
pub fn enabled_filters(ctx: &mut WriterCtx) -> Res<&[DestFilter]> {
    if ctx.destinations.is_none() {
        let mut stmt = ctx.conn.prepare_cached(
            "SELECT id, event_types, channels FROM destinations WHERE enabled = 1",
        )?;
        let rows = stmt.query_map([], |r| {
            let types: String = r.get(1)?;
            let channels: String = r.get(2)?;
            Ok(DestFilter {
                id: r.get(0)?,
                event_types: json_list(&types),
                channels: json_list(&channels),
            })
        })?;
        let mut filters = Vec::new();
        for row in rows {
            filters.push(row?);
        }
        ctx.destinations = Some(filters);
    }
    Ok(ctx.destinations.as_deref().unwrap_or_default())
}

/// The kind's name and its settings, sealed: they hold credentials.
fn stored_kind(cipher: &Cipher, d: &Destination) -> Res<(&'static str, Option<Vec<u8>>)> {
    let (name, plain) = d.kind.to_stored().map_err(|e| anyhow::anyhow!(e))?;
    let sealed = match plain {
        Some(plain) => Some(cipher.seal(&plain)?),
        None => None,
    };
    Ok((name, sealed))
}

pub fn insert(ctx: &mut WriterCtx, cipher: &Cipher, d: &Destination) -> Res<()> {
    ctx.destinations = None;
    let now = Timestamp::now().millis();
    let (kind, kind_settings) = stored_kind(cipher, d)?;
    ctx.conn.execute(
        "INSERT INTO destinations (id, url, secret, event_types, channels, include_raw, enabled, \
         disabled_reason, created_ms, updated_ms, kind, kind_settings) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?8, ?9, ?10)",
        params![
            d.id,
            d.url,
            cipher.seal(d.secret.expose_secret().as_bytes())?,
            serde_json::to_string(&d.event_types).map_err(|e| anyhow::anyhow!(e))?,
            serde_json::to_string(&d.channels).map_err(|e| anyhow::anyhow!(e))?,
            d.include_raw,
            d.enabled,
            now,
            kind,
            kind_settings
        ],
    )?;
    Ok(())
}

pub fn update(
    ctx: &mut WriterCtx,
    cipher: &Cipher,
    id: &str,
    patch: DestinationPatch,
) -> Res<Destination> {
    ctx.destinations = None;
    let mut d = find(&ctx.conn, cipher, id)?.ok_or(StoreError::NotFound)?;
    let was_enabled = d.enabled;
    if patch.apply(&mut d) {
        // Re-enabled: its queued lanes are due again.
        ctx.wake = true;
    }
    let (kind, kind_settings) = stored_kind(cipher, &d)?;
    let now = Timestamp::now().millis();
    // Disabled now: from now on; still disabled: since when it was; enabled: never.
    let disabled_ms = (!d.enabled).then_some(now);
    let keep_disabled_since = !d.enabled && !was_enabled;
    ctx.conn.execute(
        "UPDATE destinations SET url = ?2, event_types = ?3, channels = ?4, include_raw = ?5, \
         enabled = ?6, disabled_reason = ?7, updated_ms = ?8, kind = ?9, kind_settings = ?10, \
         disabled_ms = CASE WHEN ?12 THEN COALESCE(disabled_ms, ?11) ELSE ?11 END \
         WHERE id = ?1",
        params![
            id,
            d.url,
            serde_json::to_string(&d.event_types).map_err(|e| anyhow::anyhow!(e))?,
            serde_json::to_string(&d.channels).map_err(|e| anyhow::anyhow!(e))?,
            d.include_raw,
            d.enabled,
            d.disabled_reason,
            now,
            kind,
            kind_settings,
            disabled_ms,
            keep_disabled_since
        ],
    )?;
    Ok(find(&ctx.conn, cipher, id)?.ok_or(StoreError::NotFound)?)
}

/// Disables a destination that answered 410 Gone.
pub fn disable(ctx: &mut WriterCtx, id: &str, reason: &str) -> Res<()> {
    ctx.destinations = None;
    ctx.conn.execute(
        "UPDATE destinations SET disabled_ms = CASE WHEN enabled = 1 THEN ?3 ELSE disabled_ms END, \
         enabled = 0, disabled_reason = ?2, updated_ms = ?3 WHERE id = ?1",
        params![id, reason, Timestamp::now().millis()],
    )?;
    Ok(())
}

pub fn delete(ctx: &mut WriterCtx, id: &str) -> Res<()> {
    ctx.destinations = None;
    let n = ctx
        .conn
        .execute("DELETE FROM destinations WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(StoreError::NotFound.into());
    }
    let now = Timestamp::now().millis();
    ctx.conn.execute(
        "UPDATE deliveries SET status = 'dead', queued = 0, next_attempt_ms = NULL, \
         last_error = 'destination_deleted', updated_ms = ?2 WHERE destination_id = ?1 AND queued = 1",
        params![id, now],
    )?;
    ctx.conn
        .execute("DELETE FROM lanes WHERE destination_id = ?1", [id])?;
    ctx.conn
        .execute("DELETE FROM helpdesk_links WHERE destination_id = ?1", [id])?;
    Ok(())
}

/// The value linked to `key`.
pub fn link(conn: &Connection, dest: &str, kind: &str, key: &str) -> Res<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT value FROM helpdesk_links WHERE destination_id = ?1 AND kind = ?2 AND key = ?3",
        )?
        .query_row(params![dest, kind, key], |r| r.get(0))
        .optional()?)
}

/// The key linked to `value` (the first, if several).
pub fn link_by_value(
    conn: &Connection,
    dest: &str,
    kind: &str,
    value: &str,
) -> Res<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT key FROM helpdesk_links WHERE destination_id = ?1 AND kind = ?2 AND value = ?3 \
             ORDER BY created_ms LIMIT 1",
        )?
        .query_row(params![dest, kind, value], |r| r.get(0))
        .optional()?)
}

/// Records a link; an existing one is kept unless `replace`. Returns whether it was written.
pub fn put_link(
    ctx: &mut WriterCtx,
    dest: &str,
    kind: &str,
    key: &str,
    value: &str,
    replace: bool,
) -> Res<bool> {
    let sql = if replace {
        "INSERT INTO helpdesk_links (destination_id, kind, key, value, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET value = excluded.value"
    } else {
        "INSERT INTO helpdesk_links (destination_id, kind, key, value, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"
    };
    let n = ctx.conn.execute(
        sql,
        params![dest, kind, key, value, Timestamp::now().millis()],
    )?;
    Ok(n > 0)
}

#[async_trait]
impl Destinations for EmbeddedStore {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination> {
        self.write(move |ctx, cipher| {
            insert(ctx, cipher, &destination)?;
            Ok(find(&ctx.conn, cipher, &destination.id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn get_destination(&self, id: &DestinationId) -> StoreResult<Option<Destination>> {
        let id = id.to_string();
        self.read(move |conn, cipher| find(conn, cipher, &id)).await
    }

    async fn list_destinations(&self) -> StoreResult<Vec<Destination>> {
        self.read(list).await
    }

    async fn list_destinations_page(
        &self,
        after: Option<DestinationId>,
        limit: usize,
    ) -> StoreResult<Vec<Destination>> {
        self.read(move |conn, cipher| page(conn, cipher, after.as_deref(), limit))
            .await
    }

    async fn update_destination(
        &self,
        id: &DestinationId,
        patch: DestinationPatch,
    ) -> StoreResult<Destination> {
        let id = id.to_string();
        self.write(move |ctx, cipher| update(ctx, cipher, &id, patch))
            .await
    }

    async fn delete_destination(&self, id: &DestinationId) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| delete(ctx, &id)).await
    }
}

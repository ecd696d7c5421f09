//! Event rows and fan-out: storing an event queues one delivery per destination that wants
//! it, in the same transaction, so an event is never stored without its deliveries.

use crate::domain::ids::{ChannelId, DestinationId, EventId};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use super::fail::Res;
use crate::domain::channel::ChannelState;
use crate::domain::envelope::PENDING_ENRICHMENT;
use crate::store::{AppendOutcome, EventQuery, NewEvent, StoreError, StoredEvent};

use super::destinations::enabled_filters;
use super::writer::WriterCtx;
use super::EmbeddedStore;
use crate::domain::time::Timestamp;
use crate::store::{EventLog, StoreResult};
use async_trait::async_trait;

/// The lane of an event: its conversation, or its channel for events outside conversations.
pub fn lane_of(channel_id: Option<&str>, conversation_id: Option<&str>) -> String {
    match (conversation_id, channel_id) {
        (Some(c), _) => c.to_string(),
        (None, Some(ch)) => format!("chn:{ch}"),
        (None, None) => "global".to_string(),
    }
}

/// An event on its way to the writer thread, its envelope already encoded on the caller's
/// thread: the single writer then spends its time on SQLite alone, and frees no JSON trees.
pub struct Prepared {
    pub event: NewEvent,
    /// The encoded envelope; `None` when the writer must still change it (echo attribution).
    pub encoded: Option<String>,
}

impl Prepared {
    pub fn new(mut event: NewEvent) -> Prepared {
        if event.conversation_id.is_some() && event.event_type == "message.echo" {
            return Prepared {
                event,
                encoded: None,
            };
        }
        let encoded = std::mem::take(&mut event.envelope).to_string();
        Prepared {
            event,
            encoded: Some(encoded),
        }
    }
}

/// Inserts one event row; `Ok(None)` when its provider id was seen before.
pub fn insert_event(
    ctx: &mut WriterCtx,
    channel_id: Option<&str>,
    ev: &NewEvent,
    held: bool,
    received_ms: i64,
) -> Res<Option<i64>> {
    insert_encoded(
        ctx,
        channel_id,
        ev,
        &ev.envelope.to_string(),
        held,
        received_ms,
    )
}

/// Inserts one event row whose envelope is already encoded.
fn insert_encoded(
    ctx: &mut WriterCtx,
    channel_id: Option<&str>,
    ev: &NewEvent,
    envelope: &str,
    held: bool,
    received_ms: i64,
) -> Res<Option<i64>> {
    let raw = ev.raw.as_deref().map(|r| r.as_slice());
    let inserted = ctx
        .conn
        .prepare_cached(
            "INSERT INTO events (id, channel_id, conversation_id, type, dedup_key, held, \
             received_ms, envelope, raw, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            ev.id,
            channel_id,
            ev.conversation_id,
            ev.event_type,
            ev.dedup_key,
            held,
            received_ms,
            envelope,
            raw,
            ev.request_id
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Some(ctx.conn.last_insert_rowid()))
}

/// Queues an event for every enabled destination that wants it.
pub fn fan_out(
    ctx: &mut WriterCtx,
    seq: i64,
    event_id: &str,
    event_type: &str,
    channel_id: Option<&str>,
    conversation_id: Option<&str>,
    now: i64,
) -> Res<()> {
    let targets: Vec<DestinationId> = enabled_filters(ctx)?
        .iter()
        .filter(|d| d.wants(event_type, channel_id))
        .map(|d| d.id.clone())
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let lane = lane_of(channel_id, conversation_id);
    for destination in targets {
        queue_delivery(
            ctx,
            &destination,
            seq,
            event_id,
            event_type,
            conversation_id,
            &lane,
            now,
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn queue_delivery(
    ctx: &mut WriterCtx,
    destination: &str,
    seq: i64,
    event_id: &str,
    event_type: &str,
    conversation_id: Option<&str>,
    lane: &str,
    now: i64,
) -> Res<()> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO deliveries (id, event_seq, event_id, event_type, destination_id, \
             conversation_id, lane, status, queued, attempts, next_attempt_ms, created_ms, \
             updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 1, 0, ?8, ?8, ?8)",
        )?
        .execute(params![
            crate::ids::delivery_id(),
            seq,
            event_id,
            event_type,
            destination,
            conversation_id,
            lane,
            now
        ])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO lanes (destination_id, lane, next_attempt_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![destination, lane, now])?;
    ctx.wake = true;
    Ok(())
}

/// Stores a webhook's events for a channel that takes webhooks (re-checked here, inside the
/// transaction, so a channel revoked a moment ago stores nothing).
pub fn append(
    ctx: &mut WriterCtx,
    channel_id: &str,
    events: &[Prepared],
) -> Res<Vec<AppendOutcome>> {
    let state: Option<String> = ctx
        .conn
        .prepare_cached("SELECT state FROM channels WHERE id = ?1")?
        .query_row([channel_id], |r| r.get(0))
        .optional()?;
    let state = state
        .as_deref()
        .and_then(ChannelState::parse)
        .filter(|s| s.accepts_webhooks())
        .ok_or(StoreError::NotFound)?;
    let held = state == ChannelState::Pending;
    let now = Timestamp::now().millis();
    let mut outcomes = Vec::with_capacity(events.len());
    for prepared in events {
        let ev = &prepared.event;
        if let (Some(id), Some(r)) = (&ev.conversation_id, &ev.conversation_ref) {
            super::messages::remember_conversation(ctx, id, channel_id, r, now)?;
        }
        let attributed;
        let ev = match (&ev.conversation_id, ev.event_type.as_str()) {
            (Some(conversation), "message.echo") => {
                let mut copy = ev.clone();
                super::messages::attribute_echo(
                    ctx,
                    &ev.id,
                    conversation,
                    &mut copy.envelope,
                    now,
                )?;
                attributed = copy;
                &attributed
            }
            _ => ev,
        };
        let inserted = match &prepared.encoded {
            Some(encoded) => insert_encoded(ctx, Some(channel_id), ev, encoded, held, now)?,
            None => insert_event(ctx, Some(channel_id), ev, held, now)?,
        };
        let Some(seq) = inserted else {
            outcomes.push(AppendOutcome::Duplicate);
            continue;
        };
        if held {
            outcomes.push(AppendOutcome::Held);
        } else {
            fan_out(
                ctx,
                seq,
                &ev.id,
                &ev.event_type,
                Some(channel_id),
                ev.conversation_id.as_deref(),
                now,
            )?;
            outcomes.push(AppendOutcome::Stored);
        }
    }
    Ok(outcomes)
}

/// What fan-out needs of a stored event.
pub struct EventRef {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub channel_id: Option<String>,
    pub conversation_id: Option<String>,
}

fn refs(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Res<Vec<EventRef>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| {
        Ok(EventRef {
            seq: r.get(0)?,
            id: r.get(1)?,
            event_type: r.get(2)?,
            channel_id: r.get(3)?,
            conversation_id: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stored, released events received in [since, until), in order.
pub fn refs_received_between(conn: &Connection, since: i64, until: i64) -> Res<Vec<EventRef>> {
    refs(
        conn,
        "SELECT seq, id, type, channel_id, conversation_id FROM events \
         WHERE received_ms >= ?1 AND received_ms < ?2 AND held = 0 ORDER BY seq",
        params![since, until],
    )
}

/// Sets apart the events held while a channel was pending that is now rejected: they stay in
/// the log (`held = 2`) but are never released, forwarded nor replayed.
pub fn discard_held(ctx: &mut WriterCtx, channel_id: &str) -> Res<usize> {
    Ok(ctx.conn.execute(
        "UPDATE events SET held = 2 WHERE channel_id = ?1 AND held = 1",
        [channel_id],
    )?)
}

/// Queues the events held while the channel was pending, in the order they arrived.
pub fn release_held(ctx: &mut WriterCtx, channel_id: &str) -> Res<usize> {
    let held = refs(
        &ctx.conn,
        "SELECT seq, id, type, channel_id, conversation_id FROM events \
         WHERE channel_id = ?1 AND held = 1 ORDER BY seq",
        [channel_id],
    )?;
    let now = Timestamp::now().millis();
    for ev in &held {
        fan_out(
            ctx,
            ev.seq,
            &ev.id,
            &ev.event_type,
            Some(channel_id),
            ev.conversation_id.as_deref(),
            now,
        )?;
    }
    ctx.conn.execute(
        "UPDATE events SET held = 0 WHERE channel_id = ?1 AND held = 1",
        [channel_id],
    )?;
    Ok(held.len())
}

/// Fills in an event awaiting enrichment, and the type its queued deliveries show (found by
/// its lanes' index: an event's deliveries all share its lane and sequence number).
pub fn complete_enrichment(
    ctx: &mut WriterCtx,
    id: &str,
    event_type: &str,
    envelope: &str,
) -> Res<bool> {
    let found: Option<(i64, String, Option<String>, Option<String>)> = ctx
        .conn
        .prepare_cached("SELECT seq, type, channel_id, conversation_id FROM events WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (seq, current, channel, conversation) = found.ok_or(StoreError::NotFound)?;
    if current != PENDING_ENRICHMENT {
        return Ok(false);
    }
    ctx.conn
        .prepare_cached("UPDATE events SET type = ?2, envelope = ?3 WHERE seq = ?1")?
        .execute(params![seq, event_type, envelope])?;
    let lane = lane_of(channel.as_deref(), conversation.as_deref());
    ctx.conn
        .prepare_cached(
            "UPDATE deliveries SET event_type = ?3 WHERE destination_id IN \
             (SELECT id FROM destinations) AND lane = ?1 AND event_seq = ?2 AND queued = 1",
        )?
        .execute(params![lane, seq, event_type])?;
    Ok(true)
}

const COLUMNS: &str = "seq, id, channel_id, conversation_id, type, envelope, raw";

fn from_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let envelope: String = r.get(5)?;
    Ok(StoredEvent {
        seq: r.get(0)?,
        id: r.get(1)?,
        channel_id: r.get(2)?,
        conversation_id: r.get(3)?,
        event_type: r.get(4)?,
        envelope: serde_json::from_str(&envelope).unwrap_or(Value::Null),
        raw: r.get(6)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> Res<Option<StoredEvent>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// Events in sequence order after `q.after_seq`. A filtered listing takes the events the
/// index already covers through it, then scans only the events stored since.
pub fn list(conn: &Connection, q: &EventQuery) -> Res<Vec<StoredEvent>> {
    let after = q.after_seq.unwrap_or(0);
    let limit = q.limit as i64;
    let Some(key) = super::index::key_of(q) else {
        return scan(conn, q, after, limit);
    };
    let indexed = super::index::watermark(conn);
    let mut found = if indexed > after {
        let mut found = by_key(conn, &key, q, after, indexed, limit)?;
        // An event indexed while it awaited enrichment is under the pending type's key; it
        // has its real type since (checked against the filter by `by_key`).
        let pending = format!("typ:{PENDING_ENRICHMENT}");
        if key.starts_with("typ:") && key != pending {
            found.extend(by_key(conn, &pending, q, after, indexed, limit)?);
            found.sort_by_key(|e| e.seq);
            found.truncate(limit.max(0) as usize);
        }
        found
    } else {
        Vec::new()
    };
    let rest = limit - found.len() as i64;
    if rest > 0 {
        found.extend(scan(conn, q, after.max(indexed), rest)?);
    }
    Ok(found)
}

/// Through the index: the events under `key` in (after, indexed], checked against every filter.
fn by_key(
    conn: &Connection,
    key: &str,
    q: &EventQuery,
    after: i64,
    indexed: i64,
    limit: i64,
) -> Res<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT e.seq, e.id, e.channel_id, e.conversation_id, e.type, e.envelope, e.raw \
         FROM {ix}.event_keys AS k CROSS JOIN events AS e \
         WHERE k.key = ?1 AND k.seq > ?2 AND k.seq <= ?3 AND e.seq = k.seq \
         AND (?4 IS NULL OR e.channel_id = ?4) AND (?5 IS NULL OR e.conversation_id = ?5) \
         AND (?6 IS NULL OR e.type = ?6) ORDER BY k.seq LIMIT ?7",
        ix = super::index::ATTACHED
    );
    events(
        conn,
        &sql,
        params![
            key,
            after,
            indexed,
            q.channel,
            q.conversation,
            q.event_type,
            limit
        ],
    )
}

/// Through the event log itself, from `after` on.
fn scan(conn: &Connection, q: &EventQuery, after: i64, limit: i64) -> Res<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE seq > ?1 \
         AND (?2 IS NULL OR channel_id = ?2) AND (?3 IS NULL OR conversation_id = ?3) \
         AND (?4 IS NULL OR type = ?4) ORDER BY seq LIMIT ?5"
    );
    events(
        conn,
        &sql,
        params![after, q.channel, q.conversation, q.event_type, limit],
    )
}

/// The events a query selects (its columns in `COLUMNS` order).
fn events(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Res<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl EventLog for EmbeddedStore {
    async fn append(
        &self,
        channel_id: &ChannelId,
        events: Vec<NewEvent>,
    ) -> StoreResult<Vec<AppendOutcome>> {
        let channel_id = channel_id.to_string();
        let events: Vec<Prepared> = events.into_iter().map(Prepared::new).collect();
        self.write(move |ctx, _| append(ctx, &channel_id, &events))
            .await
    }

    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>> {
        self.read(move |conn, _| list(conn, &query)).await
    }

    async fn get_event(&self, id: &EventId) -> StoreResult<Option<StoredEvent>> {
        let id = id.to_string();
        self.read(move |conn, _| get(conn, &id)).await
    }

    async fn last_event_seq(&self) -> StoreResult<i64> {
        self.read(|conn, _| {
            Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
        })
        .await
    }

    async fn complete_enrichment(
        &self,
        id: &EventId,
        event_type: &str,
        envelope: Value,
    ) -> StoreResult<bool> {
        let (id, event_type) = (id.to_string(), event_type.to_string());
        let envelope = envelope.to_string();
        self.write(move |ctx, _| complete_enrichment(ctx, &id, &event_type, &envelope))
            .await
    }
}

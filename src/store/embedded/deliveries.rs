//! Deliveries and the lane queue. A lane row exists while its (destination, conversation) has
//! queued deliveries; `next_attempt_ms` is when its head is due, or how long a worker holds it.
//! Heads are read by index in event order, never by sorting the backlog.

use crate::domain::ids::{DeliveryId, DestinationId};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use super::fail::Res;
use crate::store::{
    AttemptRecord, AttemptResult, Delivery, DeliveryJob, DeliveryQuery, DeliveryStatus, Lane,
    LaneShare, StoreError,
};

use super::destinations;
use super::events::queue_delivery;
use super::writer::WriterCtx;
use super::EmbeddedStore;
use crate::domain::time::Timestamp;
use crate::store::{DeliveryQueue, StoreResult};
use async_trait::async_trait;

const COLUMNS: &str =
    "id, event_id, event_type, destination_id, conversation_id, status, attempts, \
                       next_attempt_ms, last_status_code, last_error, created_ms, updated_ms, \
                       delivered_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = r.get(5)?;
    Ok(Delivery {
        id: r.get(0)?,
        event_id: r.get(1)?,
        event_type: r.get(2)?,
        destination_id: r.get(3)?,
        conversation_id: r.get(4)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Pending),
        attempts: r.get(6)?,
        next_attempt_at: r.get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
        last_status_code: r.get(8)?,
        last_error: r.get(9)?,
        created_at: Timestamp::from_millis(r.get(10)?),
        updated_at: Timestamp::from_millis(r.get(11)?),
        delivered_at: r.get::<_, Option<i64>>(12)?.map(Timestamp::from_millis),
    })
}

pub fn get(conn: &Connection, id: &str) -> Res<Option<Delivery>> {
    let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

pub fn list(conn: &Connection, q: &DeliveryQuery) -> Res<Vec<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE id > ?1 \
         AND (?2 IS NULL OR destination_id = ?2) AND (?3 IS NULL OR status = ?3) \
         ORDER BY id LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            q.after.as_deref().unwrap_or_default(),
            q.destination,
            q.status.map(DeliveryStatus::as_str),
            q.limit as i64
        ],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues a finished delivery again, with a fresh schedule, at its place in event order.
pub fn retry(ctx: &mut WriterCtx, id: &str) -> Res<Delivery> {
    let row: Option<(String, String, i32)> = ctx
        .conn
        .query_row(
            "SELECT destination_id, lane, queued FROM deliveries WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (destination, lane, queued) = row.ok_or(StoreError::NotFound)?;
    if queued == 1 {
        return Err(StoreError::DeliveryQueued.into());
    }
    let now = Timestamp::now().millis();
    ctx.conn.execute(
        "UPDATE deliveries SET status = 'pending', queued = 1, attempts = 0, next_attempt_ms = ?2, \
         updated_ms = ?2, delivered_ms = NULL WHERE id = ?1",
        params![id, now],
    )?;
    ctx.conn.execute(
        "INSERT INTO lanes (destination_id, lane, next_attempt_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (destination_id, lane) DO UPDATE SET next_attempt_ms = \
         MIN(next_attempt_ms, excluded.next_attempt_ms)",
        params![destination, lane, now],
    )?;
    ctx.wake = true;
    Ok(get(&ctx.conn, id)?.ok_or(StoreError::NotFound)?)
}

/// Queues a new delivery to `destination_id` for every stored (non-held) event received in
/// [since, until) that its filters take. Returns how many.
/// Queues (or with `count_only`, counts) every stored event in [since, until) that the
/// destination's filters take.
pub fn replay(
    ctx: &mut WriterCtx,
    destination_id: &str,
    since: Timestamp,
    until: Timestamp,
    count_only: bool,
) -> Res<u64> {
    let (since, until) = (since.millis(), until.millis());
    let filter = destinations::enabled_filters(ctx)?
        .iter()
        .find(|d| d.id == destination_id)
        .cloned();
    let Some(filter) = filter else {
        let exists: bool = ctx.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM destinations WHERE id = ?1)",
            [destination_id],
            |r| r.get(0),
        )?;
        return Err(if exists {
            StoreError::DestinationDisabled
        } else {
            StoreError::NotFound
        }
        .into());
    };
    let events = super::events::refs_received_between(&ctx.conn, since, until)?;
    let now = Timestamp::now().millis();
    let mut n = 0u64;
    for ev in events {
        if !filter.wants(&ev.event_type, ev.channel_id.as_deref()) {
            continue;
        }
        n += 1;
        if count_only {
            continue;
        }
        let lane = super::events::lane_of(ev.channel_id.as_deref(), ev.conversation_id.as_deref());
        queue_delivery(
            ctx,
            destination_id,
            ev.seq,
            &ev.id,
            &ev.event_type,
            ev.conversation_id.as_deref(),
            &lane,
            now,
        )?;
    }
    Ok(n)
}

/// Claims the most overdue lanes, each destination's within its room: every enabled
/// destination's due lanes are read on their own (at most its room), so however many lanes a
/// destination without room has due, they never hide another destination's.
pub fn claim_lanes(
    ctx: &mut WriterCtx,
    now: i64,
    limit: usize,
    lease_until: i64,
    share: &LaneShare,
) -> Res<Vec<Lane>> {
    let destinations: Vec<DestinationId> = ctx
        .conn
        .prepare_cached("SELECT id FROM destinations WHERE enabled = 1")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut due: Vec<(i64, Lane)> = Vec::new();
    {
        let mut stmt = ctx.conn.prepare_cached(
            "SELECT lane, next_attempt_ms FROM lanes \
             WHERE destination_id = ?1 AND next_attempt_ms <= ?2 \
             ORDER BY next_attempt_ms LIMIT ?3",
        )?;
        for destination_id in destinations {
            let room = share.room(&destination_id).min(limit);
            if room == 0 {
                continue;
            }
            let mut rows = stmt.query(params![destination_id, now, room as i64])?;
            while let Some(r) = rows.next()? {
                due.push((
                    r.get(1)?,
                    Lane {
                        destination_id: destination_id.clone(),
                        lane: r.get(0)?,
                    },
                ));
            }
        }
    }
    due.sort_by_key(|(at, _)| *at);
    let lanes: Vec<Lane> = due.into_iter().take(limit).map(|(_, l)| l).collect();
    let mut hold = ctx.conn.prepare_cached(
        "UPDATE lanes SET next_attempt_ms = ?3 WHERE destination_id = ?1 AND lane = ?2",
    )?;
    for lane in &lanes {
        hold.execute(params![lane.destination_id, lane.lane, lease_until])?;
    }
    Ok(lanes)
}

pub fn lane_head(conn: &Connection, lane: &Lane) -> Res<Option<DeliveryJob>> {
    let job = conn
        .prepare_cached(
            "SELECT d.id, d.event_id, d.attempts, d.next_attempt_ms, e.envelope, e.raw, e.request_id \
             FROM deliveries d JOIN events e ON e.seq = d.event_seq \
             WHERE d.destination_id = ?1 AND d.lane = ?2 AND d.queued = 1 \
             ORDER BY d.event_seq, d.id LIMIT 1",
        )?
        .query_row(params![lane.destination_id, lane.lane], |r| {
            let envelope: String = r.get(4)?;
            Ok(DeliveryJob {
                delivery_id: r.get(0)?,
                event_id: r.get(1)?,
                attempts: r.get(2)?,
                next_attempt_at: Timestamp::from_millis(r.get::<_, Option<i64>>(3)?.unwrap_or(0)),
                envelope: serde_json::from_str(&envelope).unwrap_or(Value::Null),
                raw: r.get(5)?,
                request_id: r.get(6)?,
            })
        })
        .optional()?;
    Ok(job)
}

/// When the lane's head is due, or `None` when it has nothing queued.
fn head_due(conn: &Connection, lane: &Lane) -> Res<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT next_attempt_ms FROM deliveries WHERE destination_id = ?1 AND lane = ?2 \
             AND queued = 1 ORDER BY event_seq, id LIMIT 1",
        )?
        .query_row(params![lane.destination_id, lane.lane], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .map(|due| due.unwrap_or(0)))
}

/// Sets the lane's due time (or the worker's hold), or removes it when nothing is queued.
fn set_lane(ctx: &mut WriterCtx, lane: &Lane, hold_until: Option<i64>) -> Res<Option<i64>> {
    let due = head_due(&ctx.conn, lane)?;
    match due {
        None => {
            ctx.conn
                .prepare_cached("DELETE FROM lanes WHERE destination_id = ?1 AND lane = ?2")?
                .execute(params![lane.destination_id, lane.lane])?;
        }
        Some(due) => {
            let at = hold_until.map_or(due, |h| h.max(due));
            ctx.conn
                .prepare_cached(
                    "INSERT INTO lanes (destination_id, lane, next_attempt_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (destination_id, lane) DO UPDATE SET next_attempt_ms = ?3",
                )?
                .execute(params![lane.destination_id, lane.lane, at])?;
        }
    }
    Ok(due)
}

pub fn settle_lane(ctx: &mut WriterCtx, lane: &Lane) -> Res<()> {
    set_lane(ctx, lane, None).map(|_| ())
}

pub fn record_attempt(ctx: &mut WriterCtx, rec: &AttemptRecord) -> Res<Option<i64>> {
    let now = Timestamp::now().millis();
    let (status, queued, next, delivered) = match rec.result {
        AttemptResult::Delivered => (DeliveryStatus::Delivered, 0, None, Some(now)),
        AttemptResult::Retry { at } => (DeliveryStatus::Failed, 1, Some(at.millis()), None),
        AttemptResult::Dead => (DeliveryStatus::Dead, 0, None, None),
    };
    ctx.conn
        .prepare_cached(
            "UPDATE deliveries SET status = ?2, queued = ?3, attempts = attempts + 1, \
             next_attempt_ms = ?4, last_status_code = ?5, last_error = ?6, updated_ms = ?7, \
             delivered_ms = ?8 WHERE id = ?1",
        )?
        .execute(params![
            rec.delivery_id,
            status.as_str(),
            queued,
            next,
            rec.status_code,
            rec.error,
            now,
            delivered
        ])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO delivery_attempts (delivery_id, at_ms, status_code, error, duration_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            rec.delivery_id,
            now,
            rec.status_code,
            rec.error,
            rec.duration_ms
        ])?;
    if let Some(reason) = &rec.disable_destination {
        destinations::disable(ctx, &rec.lane.destination_id, reason)?;
    }
    set_lane(ctx, &rec.lane, rec.hold_until.map(Timestamp::millis))
}

pub fn next_due(conn: &Connection) -> Res<Option<i64>> {
    Ok(conn.query_row(
        "SELECT MIN(l.next_attempt_ms) FROM lanes l JOIN destinations d ON d.id = l.destination_id \
         WHERE d.enabled = 1",
        [],
        |r| r.get(0),
    )?)
}

/// After a restart no worker holds anything: every lane is due when its head is.
pub fn release_all_holds(conn: &Connection) -> Res<()> {
    conn.execute_batch(
        "DELETE FROM lanes WHERE NOT EXISTS (SELECT 1 FROM deliveries d \
           WHERE d.destination_id = lanes.destination_id AND d.lane = lanes.lane AND d.queued = 1);
         UPDATE lanes SET next_attempt_ms = (SELECT COALESCE(d.next_attempt_ms, 0) FROM deliveries d \
           WHERE d.destination_id = lanes.destination_id AND d.lane = lanes.lane AND d.queued = 1 \
           ORDER BY d.event_seq, d.id LIMIT 1);
         INSERT INTO lanes (destination_id, lane, next_attempt_ms) \
           SELECT destination_id, lane, MIN(COALESCE(next_attempt_ms, 0)) FROM deliveries \
           WHERE queued = 1 GROUP BY destination_id, lane ON CONFLICT DO NOTHING;",
    )?;
    Ok(())
}

#[async_trait]
impl DeliveryQueue for EmbeddedStore {
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>> {
        self.read(move |conn, _| list(conn, &query)).await
    }

    async fn get_delivery(&self, id: &DeliveryId) -> StoreResult<Option<Delivery>> {
        let id = id.to_string();
        self.read(move |conn, _| get(conn, &id)).await
    }

    async fn retry_delivery(&self, id: &DeliveryId) -> StoreResult<Delivery> {
        let id = id.to_string();
        self.write(move |ctx, _| retry(ctx, &id)).await
    }

    async fn replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64> {
        let d = destination_id.to_string();
        self.write(move |ctx, _| replay(ctx, &d, since, until, false))
            .await
    }

    async fn count_replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64> {
        let d = destination_id.to_string();
        self.write(move |ctx, _| replay(ctx, &d, since, until, true))
            .await
    }

    async fn claim_lanes(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
        share: &LaneShare,
    ) -> StoreResult<Vec<Lane>> {
        let (now_ms, lease_until_ms) = (now.millis(), lease_until.millis());
        let share = share.clone();
        self.write_relaxed(move |ctx| claim_lanes(ctx, now_ms, limit, lease_until_ms, &share))
            .await
    }

    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>> {
        let lane = lane.clone();
        self.read(move |conn, _| lane_head(conn, &lane)).await
    }

    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<Timestamp>> {
        self.write_relaxed(move |ctx| record_attempt(ctx, &record))
            .await
            .map(|due| due.map(Timestamp::from_millis))
    }

    async fn settle_lane(&self, lane: &Lane) -> StoreResult<()> {
        let lane = lane.clone();
        self.write_relaxed(move |ctx| settle_lane(ctx, &lane)).await
    }

    async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        self.read(|conn, _| next_due(conn))
            .await
            .map(|due| due.map(Timestamp::from_millis))
    }
}

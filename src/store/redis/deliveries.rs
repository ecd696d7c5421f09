//! Deliveries (hashes, listed by id through lexically sorted sets) and the lane queue: per lane
//! a sorted set of its queued deliveries in event order, and one sorted set of lanes by the
//! time their head is due (or until when a worker holds them).

use redis::AsyncCommands;
use serde_json::Value;

use crate::store::{
    AttemptRecord, AttemptResult, Delivery, DeliveryJob, DeliveryQuery, DeliveryStatus, Lane,
    StoreResult,
};

use super::{damaged, fmt_ms, int, now_ms, required, required_int, text, Fields, RedisStore};

fn from_fields(f: &Fields) -> StoreResult<Delivery> {
    const R: &str = "delivery";
    let status = required(f, R, "status")?;
    Ok(Delivery {
        id: required(f, R, "id")?,
        event_id: required(f, R, "event_id")?,
        event_type: required(f, R, "event_type")?,
        destination_id: required(f, R, "destination_id")?,
        conversation_id: text(f, "conversation_id"),
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| damaged(f, R, &format!("unknown status {status}")))?,
        attempts: required_int(f, R, "attempts")?,
        next_attempt_at: int(f, "next_attempt_ms").map(fmt_ms),
        last_status_code: int(f, "last_status_code"),
        last_error: f
            .get("last_error")
            .map(|v| String::from_utf8_lossy(v).into_owned()),
        created_at: fmt_ms(required_int(f, R, "created_ms")?),
        updated_at: fmt_ms(required_int(f, R, "updated_ms")?),
        delivered_at: int(f, "delivered_ms").map(fmt_ms),
    })
}

pub async fn get(st: &RedisStore, id: &str) -> StoreResult<Option<Delivery>> {
    st.hgetall(st.keys.delivery(id))
        .await?
        .map(|f| from_fields(&f))
        .transpose()
}

pub async fn list(st: &RedisStore, q: &DeliveryQuery) -> StoreResult<Vec<Delivery>> {
    let index = match &q.destination {
        Some(d) => st.keys.destination_deliveries(d),
        None => st.keys.deliveries(),
    };
    let mut after = q.after.clone();
    let mut out = Vec::new();
    let page = q.limit.clamp(1, 500);
    while out.len() < q.limit {
        let min = match &after {
            Some(a) => format!("({a}"),
            None => "-".to_string(),
        };
        let ids: Vec<String> = st.ok(st
            .conn()
            .zrangebylex_limit(&index, min, "+", 0, page as isize)
            .await)?;
        let Some(last) = ids.last() else { break };
        after = Some(last.clone());
        let keys = ids.iter().map(|id| st.keys.delivery(id)).collect();
        for f in st.hgetall_many(keys).await? {
            let d = from_fields(&f)?;
            if (q.status.is_none() || q.status == Some(d.status)) && out.len() < q.limit {
                out.push(d);
            }
        }
        if ids.len() < page {
            break;
        }
    }
    Ok(out)
}

pub async fn lane_head(st: &RedisStore, lane: &Lane) -> StoreResult<Option<DeliveryJob>> {
    let lk = RedisStore::lane_key(lane);
    let head: Vec<String> = st.ok(st.conn().zrange(st.keys.lane_queue(&lk), 0, 0).await)?;
    let Some(id) = head.first() else {
        return Ok(None);
    };
    let Some(d) = st.hgetall(st.keys.delivery(id)).await? else {
        return Ok(None);
    };
    let event_id = required(&d, "delivery", "event_id")?;
    let (envelope, raw, request_id): (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>) =
        st.ok(st
            .conn()
            .hget(st.keys.event(&event_id), &["envelope", "raw", "request_id"])
            .await)?;
    Ok(Some(DeliveryJob {
        delivery_id: id.clone(),
        event_id,
        attempts: int(&d, "attempts").unwrap_or(0),
        next_attempt_at_ms: int(&d, "next_attempt_ms").unwrap_or(0),
        envelope: envelope
            .and_then(|e| serde_json::from_slice(&e).ok())
            .unwrap_or(Value::Null),
        raw,
        request_id,
    }))
}

/// Records an attempt under the lease `token` the worker holds.
pub async fn record_attempt(
    st: &RedisStore,
    rec: &AttemptRecord,
    token: &str,
) -> StoreResult<Option<i64>> {
    let now = now_ms();
    let (status, queued, next, delivered) = match rec.result {
        AttemptResult::Delivered => (DeliveryStatus::Delivered, "0", None, Some(now)),
        AttemptResult::Retry { at_ms } => (DeliveryStatus::Failed, "1", Some(at_ms), None),
        AttemptResult::Dead => (DeliveryStatus::Dead, "0", None, None),
    };
    let lk = RedisStore::lane_key(&rec.lane);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let r = st
        .scripts
        .record_attempt
        .arg(st.keys.prefix())
        .arg(&lk)
        .arg(token)
        .arg(&rec.delivery_id)
        .arg(status.as_str())
        .arg(queued)
        .arg(opt(next))
        .arg(opt(rec.status_code.map(i64::from)))
        .arg(rec.error.clone().unwrap_or_default())
        .arg(now)
        .arg(opt(delivered))
        .arg(opt(rec.hold_until_ms))
        .arg(rec.disable_destination.clone().unwrap_or_default())
        .invoke_async::<Option<i64>>(&mut st.conn())
        .await;
    st.ok(r)
}

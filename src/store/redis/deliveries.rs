//! Deliveries (hashes, listed by id through lexically sorted sets) and the lane queue: per lane
//! a sorted set of its queued deliveries in event order, and one sorted set of lanes by the
//! time their head is due (or until when a worker holds them).

use crate::domain::ids::{DeliveryId, DestinationId, EventId};
use redis::AsyncCommands;
use serde_json::Value;

use crate::store::{
    AttemptRecord, AttemptResult, Delivery, DeliveryJob, DeliveryQuery, DeliveryStatus, Lane,
    LaneShare, StoreResult,
};

use super::keys;
use super::{damaged, int, required, required_int, text, Fields, RedisStore};
use crate::domain::time::Timestamp;
use crate::store::{DeliveryQueue, StoreError};
use async_trait::async_trait;

fn from_fields(f: &Fields) -> StoreResult<Delivery> {
    const R: &str = "delivery";
    let status = required(f, R, "status")?;
    Ok(Delivery {
        id: required(f, R, "id")?.into(),
        event_id: required(f, R, "event_id")?.into(),
        event_type: required(f, R, "event_type")?,
        destination_id: required(f, R, "destination_id")?.into(),
        conversation_id: text(f, "conversation_id").map(Into::into),
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| damaged(f, R, &format!("unknown status {status}")))?,
        attempts: required_int(f, R, "attempts")?,
        next_attempt_at: int(f, "next_attempt_ms").map(Timestamp::from_millis),
        last_status_code: int(f, "last_status_code"),
        last_error: f
            .get("last_error")
            .map(|v| String::from_utf8_lossy(v).into_owned()),
        created_at: Timestamp::from_millis(required_int(f, R, "created_ms")?),
        updated_at: Timestamp::from_millis(required_int(f, R, "updated_ms")?),
        delivered_at: int(f, "delivered_ms").map(Timestamp::from_millis),
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
        after = Some(DeliveryId::from(last.as_str()));
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
    let event_id: EventId = required(&d, "delivery", "event_id")?.into();
    let (envelope, raw, request_id): (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>) =
        st.ok(st
            .conn()
            .hget(st.keys.event(&event_id), &["envelope", "raw", "request_id"])
            .await)?;
    Ok(Some(DeliveryJob {
        delivery_id: id.as_str().into(),
        event_id,
        attempts: int(&d, "attempts").unwrap_or(0),
        next_attempt_at: Timestamp::from_millis(int(&d, "next_attempt_ms").unwrap_or(0)),
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
    let now = Timestamp::now().millis();
    let (status, queued, next, delivered) = match rec.result {
        AttemptResult::Delivered => (DeliveryStatus::Delivered, "0", None, Some(now)),
        AttemptResult::Retry { at } => (DeliveryStatus::Failed, "1", Some(at.millis()), None),
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
        .arg(opt(rec.hold_until.map(Timestamp::millis)))
        .arg(rec.disable_destination.clone().unwrap_or_default())
        .invoke_async::<Option<i64>>(&mut st.conn())
        .await;
    st.ok(r)
}

#[async_trait]
impl DeliveryQueue for RedisStore {
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>> {
        list(self, &query).await
    }

    async fn get_delivery(&self, id: &DeliveryId) -> StoreResult<Option<Delivery>> {
        get(self, id).await
    }

    async fn retry_delivery(&self, id: &DeliveryId) -> StoreResult<Delivery> {
        let r = self
            .scripts
            .retry_delivery
            .arg(self.keys.prefix())
            .arg(id)
            .arg(Timestamp::now().millis())
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)?;
        self.notify.notify_one();
        get(self, id).await?.ok_or(StoreError::NotFound)
    }

    async fn replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64> {
        let (since, until) = (since.millis(), until.millis());
        let r = self
            .scripts
            .replay
            .arg(self.keys.prefix())
            .arg(destination_id)
            .arg(since)
            .arg(until)
            .arg(Timestamp::now().millis())
            .arg("0")
            .invoke_async::<u64>(&mut self.conn())
            .await;
        let n = self.ok(r)?;
        if n > 0 {
            self.notify.notify_one();
        }
        Ok(n)
    }

    async fn count_replay(
        &self,
        destination_id: &DestinationId,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<u64> {
        let r = self
            .scripts
            .replay
            .arg(self.keys.prefix())
            .arg(destination_id)
            .arg(since.millis())
            .arg(until.millis())
            .arg(Timestamp::now().millis())
            .arg("1")
            .invoke_async::<u64>(&mut self.conn())
            .await;
        self.ok(r)
    }

    async fn claim_lanes(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
        share: &LaneShare,
    ) -> StoreResult<Vec<Lane>> {
        let mut invocation = self.scripts.claim_lanes.prepare_invoke();
        invocation
            .arg(self.keys.prefix())
            .arg(now.millis())
            .arg(limit)
            .arg(lease_until.millis())
            .arg(share.per_destination);
        for (destination, busy) in &share.busy {
            invocation.arg(destination).arg(busy);
        }
        let r = invocation
            .invoke_async::<Vec<String>>(&mut self.conn())
            .await;
        let flat = self.ok(r)?;
        let mut lanes = Vec::with_capacity(flat.len() / 2);
        let mut leases = self
            .leases
            .lock()
            .map_err(|_| StoreError::Internal(anyhow::anyhow!("lease table poisoned")))?;
        for pair in flat.chunks(2) {
            let [lk, token] = pair else { continue };
            let Some((destination_id, lane)) = keys::parse_lane_member(lk) else {
                continue;
            };
            leases.insert(lk.clone(), token.clone());
            lanes.push(Lane {
                destination_id: destination_id.into(),
                lane: lane.to_string(),
            });
        }
        Ok(lanes)
    }

    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>> {
        lane_head(self, lane).await
    }

    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<Timestamp>> {
        let lk = Self::lane_key(&record.lane);
        let token = self.lease_token(&lk);
        let due = record_attempt(self, &record, &token).await?;
        if due.is_none() {
            self.drop_lease(&lk, &token);
        }
        Ok(due.map(Timestamp::from_millis))
    }

    async fn settle_lane(&self, lane: &Lane) -> StoreResult<()> {
        let lk = Self::lane_key(lane);
        let token = self.lease_token(&lk);
        let r = self
            .scripts
            .settle_lane
            .arg(self.keys.prefix())
            .arg(&lk)
            .arg(&token)
            .invoke_async::<i64>(&mut self.conn())
            .await;
        self.drop_lease(&lk, &token);
        self.ok(r).map(|_| ())
    }

    async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        let r = self
            .scripts
            .next_due
            .arg(self.keys.prefix())
            .invoke_async::<Option<i64>>(&mut self.conn())
            .await;
        Ok(self.ok(r)?.map(Timestamp::from_millis))
    }
}

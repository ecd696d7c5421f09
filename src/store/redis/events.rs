//! Events: a hash per event, sorted sets for event order (all, per channel, per conversation,
//! by arrival time), a key with an expiry per provider id. Appending is one script.

use crate::domain::ids::{ChannelId, EventId};
use redis::{AsyncCommands, RedisError};
use serde_json::Value;

use crate::store::{AppendOutcome, EventQuery, NewEvent, StoreError, StoreResult, StoredEvent};

use super::unreachable;
use super::{messages, required, required_int, text, Fields, RedisStore};
use crate::domain::time::Timestamp;
use crate::store::EventLog;
use async_trait::async_trait;
use std::sync::atomic::Ordering;

pub enum AppendError {
    Redis(RedisError),
    Store(StoreError),
}

impl std::fmt::Display for AppendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppendError::Redis(e) => write!(f, "redis: {e}"),
            AppendError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Stores a webhook's events in Redis (one script: all or nothing), as received at `now`
/// (a spooled webhook keeps the time it was acked).
pub async fn append(
    st: &RedisStore,
    channel_id: &ChannelId,
    events: &[NewEvent],
    now: i64,
) -> Result<Vec<AppendOutcome>, AppendError> {
    let mut inv = st.scripts.append.prepare_invoke();
    inv.arg(st.keys.prefix())
        .arg(channel_id)
        .arg(now)
        .arg(st.dedup_ttl_ms)
        .arg(events.len());
    for ev in events {
        let mut envelope = ev.envelope.clone();
        let mut echo_of = None;
        if let (Some(conversation), "message.echo") = (&ev.conversation_id, ev.event_type.as_str())
        {
            if let Some(id) = messages::attribute_echo(st, conversation, &mut envelope, now)
                .await
                .map_err(AppendError::Store)?
            {
                echo_of = Some(id);
            }
        }
        inv.arg(&ev.id)
            .arg(&ev.event_type)
            .arg(ev.conversation_id.as_deref().unwrap_or_default())
            .arg(ev.conversation_ref.clone().unwrap_or_default())
            .arg(ev.dedup_key.clone().unwrap_or_default())
            .arg(envelope.to_string())
            .arg(ev.raw.as_deref().map(|r| r.as_slice()).unwrap_or_default())
            .arg(if ev.raw.is_some() { "1" } else { "0" })
            .arg(echo_of.as_deref().unwrap_or_default())
            .arg(ev.request_id.clone().unwrap_or_default());
    }
    let outcomes: Vec<String> = inv
        .invoke_async(&mut st.conn())
        .await
        .map_err(AppendError::Redis)?;
    let outcomes: Vec<AppendOutcome> = outcomes
        .iter()
        .map(|o| match o.as_str() {
            "held" => AppendOutcome::Held,
            "duplicate" => AppendOutcome::Duplicate,
            _ => AppendOutcome::Stored,
        })
        .collect();
    if outcomes.contains(&AppendOutcome::Stored) {
        st.notify.notify_one();
    }
    Ok(outcomes)
}

fn from_fields(f: &Fields) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        seq: required_int(f, "event", "seq")?,
        id: required(f, "event", "id")?.into(),
        channel_id: text(f, "channel_id").map(Into::into),
        conversation_id: text(f, "conversation_id").map(Into::into),
        event_type: required(f, "event", "type")?,
        envelope: f
            .get("envelope")
            .and_then(|e| serde_json::from_slice(e).ok())
            .unwrap_or(Value::Null),
        raw: f.get("raw").cloned(),
    })
}

pub async fn get(st: &RedisStore, id: &str) -> StoreResult<Option<StoredEvent>> {
    st.hgetall(st.keys.event(id))
        .await?
        .map(|f| from_fields(&f))
        .transpose()
}

/// Events after `after_seq` in order, read from the narrowest index the query allows.
pub async fn list(st: &RedisStore, q: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
    let index = match (&q.conversation, &q.channel) {
        (Some(cv), _) => st.keys.conversation_events(cv),
        (None, Some(ch)) => st.keys.channel_events(ch),
        (None, None) => st.keys.events(),
    };
    let mut after = q.after_seq.unwrap_or(0);
    let mut out = Vec::new();
    let page = q.limit.clamp(1, 500);
    while out.len() < q.limit {
        let ids: Vec<(String, i64)> = st.ok(st
            .conn()
            .zrangebyscore_limit_withscores(&index, format!("({after}"), "+inf", 0, page as isize)
            .await)?;
        let Some((_, last)) = ids.last() else { break };
        after = *last;
        let keys = ids.iter().map(|(id, _)| st.keys.event(id)).collect();
        for f in st.hgetall_many(keys).await? {
            let ev = from_fields(&f)?;
            let keep = (q.channel.is_none() || ev.channel_id == q.channel)
                && (q.conversation.is_none() || ev.conversation_id == q.conversation)
                && (q.event_type.is_none() || q.event_type.as_ref() == Some(&ev.event_type));
            if keep && out.len() < q.limit {
                out.push(ev);
            }
        }
        if ids.len() < page {
            break;
        }
    }
    Ok(out)
}

#[async_trait]
impl EventLog for RedisStore {
    async fn append(
        &self,
        channel_id: &ChannelId,
        events: Vec<NewEvent>,
    ) -> StoreResult<Vec<AppendOutcome>> {
        {
            let _gate = self.spool_gate.lock().await;
            if self.spooling.load(Ordering::SeqCst) {
                // Earlier webhooks wait in the spool: these queue up behind them.
                self.spool_webhook(channel_id, &events).await?;
                return Ok(vec![AppendOutcome::Stored; events.len()]);
            }
        }
        match append(self, channel_id, &events, Timestamp::now().millis()).await {
            Ok(outcomes) => {
                self.down.store(false, Ordering::Relaxed);
                Ok(outcomes)
            }
            Err(AppendError::Redis(e)) if unreachable(&e) => {
                self.down.store(true, Ordering::Relaxed);
                let _gate = self.spool_gate.lock().await;
                self.spool_webhook(channel_id, &events).await?;
                Ok(vec![AppendOutcome::Stored; events.len()])
            }
            Err(AppendError::Redis(e)) => Err(self.fail(e)),
            Err(AppendError::Store(e)) => Err(e),
        }
    }

    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>> {
        list(self, &query).await
    }

    async fn get_event(&self, id: &EventId) -> StoreResult<Option<StoredEvent>> {
        get(self, id).await
    }

    async fn last_event_seq(&self) -> StoreResult<i64> {
        let newest: Vec<(String, i64)> = self.ok(self
            .conn()
            .zrevrange_withscores(self.keys.events(), 0, 0)
            .await)?;
        Ok(newest.first().map_or(0, |(_, seq)| *seq))
    }

    async fn complete_enrichment(
        &self,
        id: &EventId,
        event_type: &str,
        envelope: Value,
    ) -> StoreResult<bool> {
        let r = self
            .scripts
            .complete_enrichment
            .arg(self.keys.prefix())
            .arg(id)
            .arg(event_type)
            .arg(envelope.to_string())
            .invoke_async::<i64>(&mut self.conn())
            .await;
        match self.ok(r)? {
            -1 => Err(StoreError::NotFound),
            n => Ok(n == 1),
        }
    }
}

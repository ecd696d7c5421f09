//! Relayed messages: hashes; per conversation a sorted set of all messages and one of the open
//! ones (so only the oldest is sent); a sorted set of queued messages by due time and one of
//! messages being sent by when they were claimed.

use crate::domain::ids::{ConversationId, MessageId};
use redis::AsyncCommands;
use serde_json::Value;

use crate::domain::reply::ReplyOrigin;
use crate::store::{MessageProgress, MessageStatus, RelayedMessage, StoreError, StoreResult};

use super::{damaged, int, required, required_int, text, Fields, RedisStore, SENDING_LEASE_MS};
use crate::domain::time::Timestamp;
use crate::store::{ConversationRef, ReplyQueue};
use async_trait::async_trait;

/// How many of a conversation's latest replies an echo is compared with.
const ECHO_CANDIDATES: isize = 50;

fn from_fields(f: &Fields) -> StoreResult<RelayedMessage> {
    const R: &str = "message";
    let status = required(f, R, "status")?;
    let status = MessageStatus::parse(&status)
        .ok_or_else(|| damaged(f, R, &format!("unknown status {status}")))?;
    let next = int(f, "next_attempt_ms").unwrap_or(0);
    let code = text(f, "error_code");
    let message = text(f, "error_message");
    let idempotency_key = text(f, "idempotency_key");
    Ok(RelayedMessage {
        origin: ReplyOrigin::stored(
            text(f, "origin_destination").map(Into::into),
            idempotency_key.as_deref(),
        ),
        id: required(f, R, "id")?.into(),
        conversation_id: required(f, R, "conversation_id")?.into(),
        channel_id: required(f, R, "channel_id")?.into(),
        idempotency_key,
        content: f
            .get("content")
            .and_then(|c| serde_json::from_slice(c).ok())
            .unwrap_or(Value::Null),
        status,
        attempts: int(f, "attempts").unwrap_or(0),
        steps: f
            .get("steps")
            .and_then(|s| serde_json::from_slice(s).ok())
            .unwrap_or_default(),
        error: code.map(|c| serde_json::json!({"code": c, "message": message})),
        echo_event_id: text(f, "echo_event_id").map(Into::into),
        next_attempt_at: (status == MessageStatus::Queued).then(|| Timestamp::from_millis(next)),
        created_at: Timestamp::from_millis(required_int(f, R, "created_ms")?),
        updated_at: Timestamp::from_millis(required_int(f, R, "updated_ms")?),
        finished_at: int(f, "finished_ms").map(Timestamp::from_millis),
        request_id: text(f, "request_id"),
    })
}

pub async fn get(st: &RedisStore, id: &str) -> StoreResult<Option<RelayedMessage>> {
    st.hgetall(st.keys.message(id))
        .await?
        .map(|f| from_fields(&f))
        .transpose()
}

pub async fn queue(st: &RedisStore, m: &RelayedMessage) -> StoreResult<(RelayedMessage, bool)> {
    let r = st
        .scripts
        .queue_message
        .arg(st.keys.prefix())
        .arg(&m.id)
        .arg(&m.conversation_id)
        .arg(&m.channel_id)
        .arg(m.idempotency_key.clone().unwrap_or_default())
        .arg(m.content.to_string())
        .arg(Timestamp::now().millis())
        .arg(m.request_id.clone().unwrap_or_default())
        .arg(m.origin.destination_id().map_or("", |d| d.as_str()))
        .invoke_async::<(i64, String)>(&mut st.conn())
        .await;
    let (fresh, id) = st.ok(r)?;
    let stored = get(st, &id).await?.ok_or(StoreError::NotFound)?;
    Ok((stored, fresh == 1))
}

pub async fn claim(st: &RedisStore, now: i64, limit: usize) -> StoreResult<Vec<RelayedMessage>> {
    let r = st
        .scripts
        .claim_messages
        .arg(st.keys.prefix())
        .arg(now)
        .arg(limit)
        .arg(now - SENDING_LEASE_MS)
        .invoke_async::<Vec<String>>(&mut st.conn())
        .await;
    let ids = st.ok(r)?;
    let keys = ids.iter().map(|id| st.keys.message(id)).collect();
    st.hgetall_many(keys)
        .await?
        .iter()
        .map(from_fields)
        .collect()
}

/// Puts back replies left `sending` for longer than a lease. Another replica may be sending
/// the younger ones right now, so only those are taken back (the relay's claims do the same).
pub async fn requeue_stale(st: &RedisStore) -> StoreResult<u64> {
    let before: u64 = st.ok(st.conn().zcard(st.keys.messages_sending()).await)?;
    let r = st
        .scripts
        .claim_messages
        .arg(st.keys.prefix())
        .arg(0)
        .arg(0)
        .arg(Timestamp::now().millis() - SENDING_LEASE_MS)
        .invoke_async::<Vec<String>>(&mut st.conn())
        .await;
    st.ok(r)?;
    let after: u64 = st.ok(st.conn().zcard(st.keys.messages_sending()).await)?;
    Ok(before.saturating_sub(after))
}

pub async fn record(st: &RedisStore, id: &str, progress: MessageProgress) -> StoreResult<()> {
    let now = Timestamp::now().millis();
    let mut inv = st.scripts.record_message.prepare_invoke();
    inv.arg(st.keys.prefix()).arg(id);
    match progress {
        MessageProgress::Step { steps } => {
            let steps = serde_json::to_string(&steps).map_err(|e| anyhow::anyhow!(e))?;
            inv.arg("step").arg(now).arg(steps).arg("").arg("");
        }
        MessageProgress::Retry { at, code, message } => {
            inv.arg("retry")
                .arg(now)
                .arg(at.millis())
                .arg(code)
                .arg(message);
        }
        MessageProgress::Delivered { event } => {
            inv.arg("delivered").arg(now).arg("").arg("").arg("");
            event_args(&mut inv, &event);
        }
        MessageProgress::Failed {
            code,
            message,
            event,
        } => {
            inv.arg("failed").arg(now).arg("").arg(code).arg(message);
            event_args(&mut inv, &event);
        }
    }
    let r = inv.invoke_async::<()>(&mut st.conn()).await;
    st.ok(r)?;
    st.notify.notify_one();
    Ok(())
}

fn event_args(inv: &mut redis::ScriptInvocation<'_>, ev: &crate::store::NewEvent) {
    inv.arg(&ev.id)
        .arg(&ev.event_type)
        .arg(ev.conversation_id.as_deref().unwrap_or_default())
        .arg(ev.envelope.to_string());
}

/// If this echo is of a reply omnigate sent (same conversation, same content, recent, not yet
/// matched), marks it `origin: "omnigate"` with the relayed message id and returns that id; the
/// append script links the message.
pub async fn attribute_echo(
    st: &RedisStore,
    conversation_id: &str,
    envelope: &mut Value,
    now: i64,
) -> StoreResult<Option<MessageId>> {
    let Some((kind, text_wanted)) = crate::store::echo::echoed_type(envelope) else {
        return Ok(None);
    };
    let ids: Vec<String> = st.ok(st
        .conn()
        .zrevrange(
            st.keys.conversation_messages(conversation_id),
            0,
            ECHO_CANDIDATES - 1,
        )
        .await)?;
    if ids.is_empty() {
        return Ok(None);
    }
    let keys = ids.iter().rev().map(|id| st.keys.message(id)).collect();
    let mut matched = None;
    for f in st.hgetall_many(keys).await? {
        let m = from_fields(&f)?;
        let content_type = m.content.get("type").and_then(Value::as_str);
        let content_text = m.content.get("text").and_then(Value::as_str);
        if m.echo_event_id.is_none()
            && matches!(m.status, MessageStatus::Sending | MessageStatus::Delivered)
            && required_int(&f, "message", "created_ms")? >= now - crate::store::echo::WINDOW_MS
            && content_type == Some(kind)
            && (text_wanted.is_none() || content_text == text_wanted.as_deref())
        {
            matched = Some(m.id);
            break;
        }
    }
    let Some(message_id) = matched else {
        return Ok(None);
    };
    crate::store::echo::mark_relayed(envelope, &message_id);
    Ok(Some(message_id))
}

#[async_trait]
impl ReplyQueue for RedisStore {
    async fn conversation(&self, id: &ConversationId) -> StoreResult<Option<ConversationRef>> {
        let Some(f) = self.hgetall(self.keys.conversation(id)).await? else {
            return Ok(None);
        };
        Ok(match (text(&f, "channel_id"), text(&f, "provider_ref")) {
            (Some(channel_id), Some(provider_ref)) => Some(ConversationRef {
                id: id.clone(),
                channel_id: channel_id.into(),
                provider_ref,
            }),
            _ => None,
        })
    }

    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)> {
        queue(self, &message).await
    }

    async fn get_message(&self, id: &MessageId) -> StoreResult<Option<RelayedMessage>> {
        get(self, id).await
    }

    async fn claim_messages(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<RelayedMessage>> {
        let now_ms = now.millis();
        claim(self, now_ms, limit).await
    }

    async fn record_message(&self, id: &MessageId, progress: MessageProgress) -> StoreResult<()> {
        record(self, id, progress).await
    }

    async fn next_message_due(&self) -> StoreResult<Option<Timestamp>> {
        let r: Result<Vec<(String, i64)>, _> = self
            .conn()
            .zrange_withscores(self.keys.messages_due(), 0, 0)
            .await;
        Ok(self
            .ok(r)?
            .first()
            .map(|(_, at)| Timestamp::from_millis(*at)))
    }

    async fn requeue_interrupted_messages(&self) -> StoreResult<u64> {
        requeue_stale(self).await
    }
}

//! Relayed messages: a durable outbound queue, ordered per conversation, with idempotency keys,
//! and the link from a provider's echo back to the message omnigate sent.

use crate::domain::ids::{ConversationId, MessageId};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use super::fail::Res;
use crate::domain::reply::ReplyOrigin;
use crate::store::{ConversationRef, MessageProgress, MessageStatus, RelayedMessage, StoreError};

use super::events;
use super::writer::WriterCtx;
use super::EmbeddedStore;
use crate::domain::time::Timestamp;
use crate::store::{ReplyQueue, StoreResult};
use async_trait::async_trait;

const COLUMNS: &str = "id, conversation_id, channel_id, idempotency_key, content, status, attempts, \
                       steps, next_attempt_ms, error_code, error_message, echo_event_id, created_ms, \
                       updated_ms, finished_ms, request_id, origin_destination";

fn from_row(r: &Row<'_>) -> rusqlite::Result<RelayedMessage> {
    let content: String = r.get(4)?;
    let status: String = r.get(5)?;
    let steps: String = r.get(7)?;
    let next: i64 = r.get(8)?;
    let status = MessageStatus::parse(&status).unwrap_or(MessageStatus::Queued);
    let code: Option<String> = r.get(9)?;
    let message: Option<String> = r.get(10)?;
    let idempotency_key: Option<String> = r.get(3)?;
    Ok(RelayedMessage {
        origin: ReplyOrigin::stored(r.get(16)?, idempotency_key.as_deref()),
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        channel_id: r.get(2)?,
        idempotency_key,
        content: serde_json::from_str(&content).unwrap_or(Value::Null),
        status,
        attempts: r.get(6)?,
        steps: serde_json::from_str(&steps).unwrap_or_default(),
        error: code.map(|c| serde_json::json!({"code": c, "message": message})),
        echo_event_id: r.get(11)?,
        next_attempt_at: (status == MessageStatus::Queued).then(|| Timestamp::from_millis(next)),
        created_at: Timestamp::from_millis(r.get(12)?),
        updated_at: Timestamp::from_millis(r.get(13)?),
        finished_at: r.get::<_, Option<i64>>(14)?.map(Timestamp::from_millis),
        request_id: r.get(15)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> Res<Option<RelayedMessage>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

pub fn conversation(conn: &Connection, id: &str) -> Res<Option<ConversationRef>> {
    Ok(conn
        .prepare_cached("SELECT id, channel_id, provider_ref FROM conversations WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(ConversationRef {
                id: r.get(0)?,
                channel_id: r.get(1)?,
                provider_ref: r.get(2)?,
            })
        })
        .optional()?)
}

/// Remembers a conversation the first time one of its events is stored.
pub fn remember_conversation(
    ctx: &WriterCtx,
    id: &str,
    channel_id: &str,
    provider_ref: &str,
    now: i64,
) -> Res<()> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO conversations (id, channel_id, provider_ref, created_ms) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, channel_id, provider_ref, now])?;
    Ok(())
}

pub fn queue(ctx: &mut WriterCtx, m: &RelayedMessage) -> Res<(RelayedMessage, bool)> {
    if let Some(key) = &m.idempotency_key {
        let existing: Option<String> = ctx
            .conn
            .query_row(
                "SELECT id FROM messages WHERE conversation_id = ?1 AND idempotency_key = ?2",
                params![m.conversation_id, key],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok((get(&ctx.conn, &id)?.ok_or(StoreError::NotFound)?, false));
        }
    }
    let now = Timestamp::now().millis();
    ctx.conn.execute(
        "INSERT INTO messages (id, conversation_id, channel_id, idempotency_key, content, status, \
         attempts, steps, next_attempt_ms, created_ms, updated_ms, request_id, origin_destination) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, '[]', ?6, ?6, ?6, ?7, ?8)",
        params![
            m.id,
            m.conversation_id,
            m.channel_id,
            m.idempotency_key,
            m.content.to_string(),
            now,
            m.request_id,
            m.origin.destination_id()
        ],
    )?;
    Ok((get(&ctx.conn, &m.id)?.ok_or(StoreError::NotFound)?, true))
}

pub fn claim(ctx: &mut WriterCtx, now: i64, limit: usize) -> Res<Vec<RelayedMessage>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.status = 'queued' AND m.next_attempt_ms <= ?1 \
         AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.conversation_id = m.conversation_id \
           AND o.status IN ('queued', 'sending') AND o.seq < m.seq) \
         ORDER BY m.next_attempt_ms, m.seq LIMIT ?2"
    );
    let claimed: Vec<RelayedMessage> = {
        let mut stmt = ctx.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![now, limit as i64], from_row)?;
        rows.collect::<Result<_, _>>()?
    };
    for m in &claimed {
        ctx.conn
            .prepare_cached(
                "UPDATE messages SET status = 'sending', updated_ms = ?2 WHERE id = ?1",
            )?
            .execute(params![m.id, now])?;
    }
    Ok(claimed)
}

pub fn record(ctx: &mut WriterCtx, id: &str, progress: MessageProgress) -> Res<()> {
    let now = Timestamp::now().millis();
    let conv: Option<(String, String)> = ctx
        .conn
        .query_row(
            "SELECT channel_id, conversation_id FROM messages WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (channel_id, conversation_id) = conv.ok_or(StoreError::NotFound)?;
    let finished_event = match progress {
        MessageProgress::Step { steps } => {
            let steps = serde_json::to_string(&steps).map_err(|e| anyhow::anyhow!(e))?;
            ctx.conn.execute(
                "UPDATE messages SET status = 'queued', steps = ?2, next_attempt_ms = ?3, updated_ms = ?3 WHERE id = ?1",
                params![id, steps, now],
            )?;
            None
        }
        MessageProgress::Retry { at, code, message } => {
            ctx.conn.execute(
                "UPDATE messages SET status = 'queued', attempts = attempts + 1, next_attempt_ms = ?2, \
                 error_code = ?3, error_message = ?4, updated_ms = ?5 WHERE id = ?1",
                params![id, at.millis(), code, message, now],
            )?;
            None
        }
        MessageProgress::Delivered { event } => {
            ctx.conn.execute(
                "UPDATE messages SET status = 'delivered', attempts = attempts + 1, error_code = NULL, \
                 error_message = NULL, updated_ms = ?2, finished_ms = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            Some(event)
        }
        MessageProgress::Failed {
            code,
            message,
            event,
        } => {
            ctx.conn.execute(
                "UPDATE messages SET status = 'failed', attempts = attempts + 1, error_code = ?2, \
                 error_message = ?3, updated_ms = ?4, finished_ms = ?4 WHERE id = ?1",
                params![id, code, message, now],
            )?;
            Some(event)
        }
    };
    if let Some(ev) = finished_event {
        if let Some(seq) = events::insert_event(ctx, Some(&channel_id), &ev, false, now)? {
            events::fan_out(
                ctx,
                seq,
                &ev.id,
                &ev.event_type,
                Some(&channel_id),
                Some(&conversation_id),
                now,
            )?;
        }
    }
    Ok(())
}

pub fn next_due(conn: &Connection) -> Res<Option<i64>> {
    Ok(conn.query_row(
        "SELECT MIN(next_attempt_ms) FROM messages WHERE status = 'queued'",
        [],
        |r| r.get(0),
    )?)
}

pub fn requeue_interrupted(ctx: &mut WriterCtx) -> Res<u64> {
    let n = ctx.conn.execute(
        "UPDATE messages SET status = 'queued' WHERE status = 'sending'",
        [],
    )?;
    Ok(n as u64)
}

/// If this echo is of a reply omnigate sent (same conversation, same content, recent, not yet
/// matched), marks it `origin: "omnigate"` with the relayed message id, and links the message.
pub fn attribute_echo(
    ctx: &mut WriterCtx,
    event_id: &str,
    conversation_id: &str,
    envelope: &mut Value,
    now: i64,
) -> Res<()> {
    let Some((kind, text)) = crate::store::echo::echoed_type(envelope) else {
        return Ok(());
    };
    let matched: Option<String> = ctx
        .conn
        .prepare_cached(
            "SELECT id FROM messages WHERE conversation_id = ?1 AND echo_event_id IS NULL \
             AND status IN ('sending', 'delivered') AND created_ms >= ?2 \
             AND json_extract(content, '$.type') = ?3 \
             AND (?4 IS NULL OR json_extract(content, '$.text') = ?4) ORDER BY seq LIMIT 1",
        )?
        .query_row(
            params![
                conversation_id,
                now - crate::store::echo::WINDOW_MS,
                kind,
                text
            ],
            |r| r.get(0),
        )
        .optional()?;
    let Some(message_id) = matched else {
        return Ok(());
    };
    ctx.conn.execute(
        "UPDATE messages SET echo_event_id = ?2 WHERE id = ?1",
        params![message_id, event_id],
    )?;
    crate::store::echo::mark_relayed(envelope, &message_id);
    Ok(())
}

#[async_trait]
impl ReplyQueue for EmbeddedStore {
    async fn conversation(&self, id: &ConversationId) -> StoreResult<Option<ConversationRef>> {
        let id = id.to_string();
        self.read(move |conn, _| conversation(conn, &id)).await
    }

    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)> {
        self.write(move |ctx, _| queue(ctx, &message)).await
    }

    async fn get_message(&self, id: &MessageId) -> StoreResult<Option<RelayedMessage>> {
        let id = id.to_string();
        self.read(move |conn, _| get(conn, &id)).await
    }

    async fn claim_messages(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<RelayedMessage>> {
        let now_ms = now.millis();
        self.write(move |ctx, _| claim(ctx, now_ms, limit)).await
    }

    async fn record_message(&self, id: &MessageId, progress: MessageProgress) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| record(ctx, &id, progress)).await
    }

    async fn next_message_due(&self) -> StoreResult<Option<Timestamp>> {
        self.read(|conn, _| next_due(conn))
            .await
            .map(|due| due.map(Timestamp::from_millis))
    }

    async fn requeue_interrupted_messages(&self) -> StoreResult<u64> {
        self.write(|ctx, _| requeue_interrupted(ctx)).await
    }
}

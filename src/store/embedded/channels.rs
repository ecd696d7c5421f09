//! Channel rows: credentials sealed with the master key, settings in clear JSON.

use crate::domain::ids::{ChannelId, EventId};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use super::fail::Res;
use crate::crypto::Cipher;
use crate::domain::channel::{Channel, ChannelState, StateChange};
use crate::store::{ChannelPatch, StoreError};

use super::{events, EmbeddedStore};
use crate::domain::channel::Transition;
use crate::domain::envelope;
use crate::domain::secret::{CredentialMap, Credentials, ExposeSecret};
use crate::domain::time::Timestamp;
use crate::store::{plan_transition, Channels, NewEvent, PlannedTransition, StoreResult};
use async_trait::async_trait;
use std::ops::Deref;

const COLUMNS: &str = "id, provider, name, credentials, settings, state, state_reason, \
                       webhook_key, channel_key, created_ms, updated_ms";

fn from_row(row: &Row<'_>, cipher: &Cipher) -> rusqlite::Result<Res<Channel>> {
    let sealed: Vec<u8> = row.get(3)?;
    let settings: String = row.get(4)?;
    let state: String = row.get(5)?;
    let id: ChannelId = row.get(0)?;
    let build = || -> Res<Channel> {
        let credentials: Map<String, Value> = serde_json::from_slice(&cipher.open(&sealed)?)
            .map_err(|e| anyhow::anyhow!("channel {id}: credentials unreadable: {e}"))?;
        let settings: Map<String, Value> = serde_json::from_str(&settings)
            .map_err(|e| anyhow::anyhow!("channel {id}: settings unreadable: {e}"))?;
        let state = ChannelState::parse(&state)
            .ok_or_else(|| anyhow::anyhow!("channel {id}: unknown state {state}"))?;
        Ok(Channel {
            id: id.clone(),
            provider: row.get(1)?,
            name: row.get(2)?,
            credentials: CredentialMap::boxed(credentials),
            settings,
            state,
            state_reason: row.get(6)?,
            webhook_key: row.get(7)?,
            channel_key: row.get(8)?,
            created_at: Timestamp::from_millis(row.get(9)?),
            updated_at: Timestamp::from_millis(row.get(10)?),
        })
    };
    Ok(build())
}

pub fn find(conn: &Connection, cipher: &Cipher, column: &str, value: &str) -> Res<Option<Channel>> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE {column} = ?1");
    let found = conn
        .prepare_cached(&sql)?
        .query_row([value], |r| from_row(r, cipher))
        .optional()?;
    found.transpose()
}

/// The channel behind a webhook key: its current key, or its previous one in its grace period.
pub fn by_webhook_key(conn: &Connection, cipher: &Cipher, key: &str) -> Res<Option<Channel>> {
    if let Some(ch) = find(conn, cipher, "webhook_key", key)? {
        return Ok(Some(ch));
    }
    let id: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM channels WHERE previous_webhook_key = ?1 \
             AND previous_key_until_ms > ?2",
        )?
        .query_row(params![key, Timestamp::now().millis()], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => find(conn, cipher, "id", &id),
        None => Ok(None),
    }
}

/// Gives a channel that takes webhooks a new key; the current one works until `until_ms`.
pub fn rotate_key(
    conn: &Connection,
    cipher: &Cipher,
    id: &str,
    new_key: &str,
    until_ms: i64,
) -> Res<Channel> {
    let ch = find(conn, cipher, "id", id)?.ok_or(StoreError::NotFound)?;
    let current = ch
        .webhook_key
        .as_deref()
        .filter(|_| ch.state.accepts_webhooks())
        .ok_or(StoreError::InvalidTransition {
            from: ch.state.as_str(),
            transition: "rotate-key",
        })?;
    let now = Timestamp::now().millis();
    let previous = (until_ms > now).then_some(current);
    conn.execute(
        "UPDATE channels SET webhook_key = ?2, previous_webhook_key = ?3, \
         previous_key_until_ms = ?4, updated_ms = ?5 WHERE id = ?1",
        params![id, new_key, previous, previous.map(|_| until_ms), now],
    )?;
    Ok(find(conn, cipher, "id", id)?.ok_or(StoreError::NotFound)?)
}

pub fn list(conn: &Connection, cipher: &Cipher) -> Res<Vec<Channel>> {
    let sql = format!("SELECT {COLUMNS} FROM channels ORDER BY created_ms, rowid");
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
) -> Res<Vec<Channel>> {
    super::paging::page(conn, "channels", COLUMNS, after, limit, |r| {
        from_row(r, cipher)
    })
}

fn seal_credentials(cipher: &Cipher, credentials: &Credentials) -> Res<Vec<u8>> {
    let plain =
        serde_json::to_vec(credentials.expose_secret().deref()).map_err(|e| anyhow::anyhow!(e))?;
    Ok(cipher.seal(&plain)?)
}

pub fn insert(conn: &Connection, cipher: &Cipher, ch: &Channel) -> Res<()> {
    let now = Timestamp::now().millis();
    conn.execute(
        "INSERT INTO channels (id, provider, name, credentials, settings, state, state_reason, \
         webhook_key, channel_key, created_ms, updated_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, ?7, ?8, ?8)",
        params![
            ch.id,
            ch.provider,
            ch.name,
            seal_credentials(cipher, &ch.credentials)?,
            Value::Object(ch.settings.clone()).to_string(),
            ch.state.as_str(),
            ch.channel_key,
            now
        ],
    )?;
    Ok(())
}

pub fn update(conn: &Connection, cipher: &Cipher, id: &str, patch: ChannelPatch) -> Res<Channel> {
    let mut ch = find(conn, cipher, "id", id)?.ok_or(StoreError::NotFound)?;
    if let Some(name) = patch.name {
        ch.name = name;
    }
    if let Some(credentials) = patch.credentials {
        ch.credentials = credentials;
    }
    if let Some(settings) = patch.settings {
        ch.settings = settings;
    }
    conn.execute(
        "UPDATE channels SET name = ?2, credentials = ?3, settings = ?4, updated_ms = ?5 \
         WHERE id = ?1",
        params![
            id,
            ch.name,
            seal_credentials(cipher, &ch.credentials)?,
            Value::Object(ch.settings.clone()).to_string(),
            Timestamp::now().millis()
        ],
    )?;
    Ok(find(conn, cipher, "id", id)?.ok_or(StoreError::NotFound)?)
}

pub fn delete(conn: &Connection, cipher: &Cipher, id: &str) -> Res<()> {
    let ch = find(conn, cipher, "id", id)?.ok_or(StoreError::NotFound)?;
    if !ch.state.deletable() {
        return Err(StoreError::ChannelApproved.into());
    }
    conn.execute("DELETE FROM channels WHERE id = ?1", [id])?;
    Ok(())
}

/// Writes the new state and its history row; `retire_keys` forgets the channel's webhook keys.
pub fn set_state(
    conn: &Connection,
    ch: &Channel,
    to: ChannelState,
    change: &StateChange,
    webhook_key: Option<&str>,
    retire_keys: bool,
) -> Res<()> {
    let at = change.at.millis();
    conn.execute(
        "UPDATE channels SET state = ?2, state_reason = ?3, webhook_key = COALESCE(?4, webhook_key), \
         updated_ms = ?5 WHERE id = ?1",
        params![ch.id, to.as_str(), change.reason, webhook_key, at],
    )?;
    if retire_keys {
        conn.execute(
            "UPDATE channels SET webhook_key = NULL, previous_webhook_key = NULL, \
             previous_key_until_ms = NULL WHERE id = ?1",
            [&ch.id],
        )?;
    }
    conn.execute(
        "INSERT INTO channel_transitions (channel_id, from_state, to_state, at_ms, actor, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ch.id,
            change.from.as_str(),
            to.as_str(),
            at,
            change.actor,
            change.reason
        ],
    )?;
    Ok(())
}

pub fn history(conn: &Connection, id: &str) -> Res<Vec<StateChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_state, to_state, at_ms, actor, reason FROM channel_transitions \
         WHERE channel_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        let from: String = r.get(0)?;
        let to: String = r.get(1)?;
        Ok((from, to, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (from, to, at, actor, reason) = row?;
        out.push(StateChange {
            from: ChannelState::parse(&from).unwrap_or(ChannelState::Unverified),
            state: ChannelState::parse(&to).unwrap_or(ChannelState::Unverified),
            at: Timestamp::from_millis(at),
            actor,
            reason,
        });
    }
    Ok(out)
}

#[async_trait]
impl Channels for EmbeddedStore {
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel> {
        self.write(move |ctx, cipher| {
            insert(&ctx.conn, cipher, &channel)?;
            Ok(find(&ctx.conn, cipher, "id", &channel.id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn get_channel(&self, id: &ChannelId) -> StoreResult<Option<Channel>> {
        let id = id.to_string();
        self.read(move |conn, cipher| find(conn, cipher, "id", &id))
            .await
    }

    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        let key = key.to_string();
        self.read(move |conn, cipher| by_webhook_key(conn, cipher, &key))
            .await
    }

    async fn rotate_webhook_key(
        &self,
        id: &ChannelId,
        new_key: String,
        previous_until: Timestamp,
    ) -> StoreResult<Channel> {
        let previous_until_ms = previous_until.millis();
        let id = id.to_string();
        self.write(move |ctx, cipher| {
            rotate_key(&ctx.conn, cipher, &id, &new_key, previous_until_ms)
        })
        .await
    }

    async fn list_channels(&self) -> StoreResult<Vec<Channel>> {
        self.read(list).await
    }

    async fn list_channels_page(
        &self,
        after: Option<ChannelId>,
        limit: usize,
    ) -> StoreResult<Vec<Channel>> {
        self.read(move |conn, cipher| page(conn, cipher, after.as_deref(), limit))
            .await
    }

    async fn update_channel(&self, id: &ChannelId, patch: ChannelPatch) -> StoreResult<Channel> {
        let id = id.to_string();
        self.write(move |ctx, cipher| update(&ctx.conn, cipher, &id, patch))
            .await
    }

    async fn delete_channel(&self, id: &ChannelId) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, cipher| delete(&ctx.conn, cipher, &id))
            .await
    }

    async fn transition_channel(
        &self,
        id: &ChannelId,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: EventId,
    ) -> StoreResult<(Channel, Option<ChannelState>)> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |ctx, cipher| {
            let ch = find(&ctx.conn, cipher, "id", &id)?.ok_or(StoreError::NotFound)?;
            let Some(PlannedTransition {
                change,
                webhook_key,
                retire_keys,
                discard_held,
            }) = plan_transition(&ch, transition, &actor, reason).map_err(StoreError::from)?
            else {
                return Ok((ch, None));
            };
            let to = change.state;
            set_state(
                &ctx.conn,
                &ch,
                to,
                &change,
                webhook_key.as_deref(),
                retire_keys,
            )?;
            if discard_held {
                events::discard_held(ctx, &id)?;
            }
            let updated = find(&ctx.conn, cipher, "id", &id)?.ok_or(StoreError::NotFound)?;
            if to == ChannelState::Approved {
                events::release_held(ctx, &id)?;
            }
            let event = NewEvent {
                id: event_id.clone(),
                event_type: "channel.state_changed".into(),
                conversation_id: None,
                conversation_ref: None,
                dedup_key: None,
                envelope: envelope::state_changed(&event_id, &updated, &change),
                raw: None,
                request_id: None,
            };
            let now = Timestamp::now().millis();
            if let Some(seq) = events::insert_event(ctx, Some(&id), &event, false, now)? {
                events::fan_out(ctx, seq, &event.id, &event.event_type, Some(&id), None, now)?;
            }
            Ok((updated, Some(ch.state)))
        })
        .await
    }

    async fn channel_history(&self, id: &ChannelId) -> StoreResult<Vec<StateChange>> {
        let id = id.to_string();
        self.read(move |conn, _| history(conn, &id)).await
    }
}

//! Channels (hashes, credentials sealed with the master key), their history, and API tokens.

use crate::domain::ids::{ChannelId, EventId, TokenId};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use redis::AsyncCommands;
use serde_json::{Map, Value};

use crate::domain::channel::{Channel, ChannelState, StateChange, Transition};
use crate::domain::envelope;
use crate::store::{
    plan_transition, ChannelPatch, PlannedTransition, StoreError, StoreResult, TokenInfo,
};

use super::{int, required, required_int, text, unreachable, Fields, RedisStore};
use crate::domain::secret::{CredentialMap, Credentials, ExposeSecret};
use crate::domain::time::Timestamp;
use crate::store::Channels;
use async_trait::async_trait;
use std::ops::Deref;

fn from_fields(st: &RedisStore, f: &Fields) -> StoreResult<Channel> {
    let id: ChannelId = required(f, "channel", "id")?.into();
    let sealed = B64
        .decode(text(f, "credentials").unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("channel {id}: credentials unreadable: {e}"))?;
    let credentials: Map<String, Value> = serde_json::from_slice(&st.cipher.open(&sealed)?)
        .map_err(|e| anyhow::anyhow!("channel {id}: credentials unreadable: {e}"))?;
    let settings: Map<String, Value> =
        serde_json::from_str(&text(f, "settings").unwrap_or_else(|| "{}".into()))
            .map_err(|e| anyhow::anyhow!("channel {id}: settings unreadable: {e}"))?;
    let state = required(f, "channel", "state")?;
    let state = ChannelState::parse(&state)
        .ok_or_else(|| anyhow::anyhow!("channel {id}: unknown state {state}"))?;
    Ok(Channel {
        provider: required(f, "channel", "provider")?,
        name: text(f, "name").unwrap_or_default(),
        credentials: CredentialMap::boxed(credentials),
        settings,
        state,
        state_reason: text(f, "state_reason"),
        webhook_key: text(f, "webhook_key"),
        channel_key: text(f, "channel_key").unwrap_or_default(),
        created_at: Timestamp::from_millis(required_int(f, "channel", "created_ms")?),
        updated_at: Timestamp::from_millis(required_int(f, "channel", "updated_ms")?),
        id,
    })
}

fn seal_credentials(st: &RedisStore, credentials: &Credentials) -> StoreResult<String> {
    let plain =
        serde_json::to_vec(credentials.expose_secret().deref()).map_err(|e| anyhow::anyhow!(e))?;
    Ok(B64.encode(st.cipher.seal(&plain)?))
}

pub async fn get(st: &RedisStore, id: &str) -> StoreResult<Option<Channel>> {
    match st.hgetall(st.keys.channel(id)).await? {
        Some(f) => from_fields(st, &f).map(Some),
        None => Ok(None),
    }
}

pub async fn insert(st: &RedisStore, ch: &Channel) -> StoreResult<()> {
    let now = Timestamp::now().millis();
    let fields = [
        ("id", ch.id.to_string()),
        ("provider", ch.provider.clone()),
        ("name", ch.name.clone()),
        ("credentials", seal_credentials(st, &ch.credentials)?),
        ("settings", Value::Object(ch.settings.clone()).to_string()),
        ("state", ch.state.as_str().to_string()),
        ("channel_key", ch.channel_key.clone()),
        ("created_ms", now.to_string()),
        ("updated_ms", now.to_string()),
    ];
    let order = st.next_listing_order().await?;
    let r: Result<(), _> = redis::pipe()
        .atomic()
        .hset_multiple(st.keys.channel(&ch.id), &fields)
        .ignore()
        .zadd(st.keys.channels(), &ch.id, order)
        .ignore()
        .query_async(&mut st.conn())
        .await;
    st.ok(r)
}

/// The channel behind a webhook key. While Redis is unreachable, the channel last read for
/// that key answers, so webhooks keep being acked (into the spool); the state is checked again
/// when the spool is drained.
pub async fn by_webhook_key(st: &RedisStore, key: &str) -> StoreResult<Option<Channel>> {
    let r: Result<Option<String>, _> = st.conn().get(st.keys.channel_by_webhook_key(key)).await;
    let id = match r {
        Ok(id) => id,
        Err(e) if unreachable(&e) => {
            let known = st
                .known_channels
                .lock()
                .ok()
                .and_then(|c| c.get(key).cloned());
            return match known {
                Some(ch) => {
                    st.down.store(true, std::sync::atomic::Ordering::Relaxed);
                    Ok(Some(ch))
                }
                None => Err(st.fail(e)),
            };
        }
        Err(e) => return Err(st.fail(e)),
    };
    let found = match id {
        Some(id) => get(st, &id).await?,
        None => None,
    };
    if let Ok(mut known) = st.known_channels.lock() {
        match &found {
            Some(ch) => {
                known.insert(key.to_string(), ch.clone());
            }
            None => {
                known.remove(key);
            }
        }
    }
    Ok(found)
}

pub async fn list(st: &RedisStore) -> StoreResult<Vec<Channel>> {
    let ids: Vec<String> = st.ok(st.conn().zrange(st.keys.channels(), 0, -1).await)?;
    let keys = ids.iter().map(|id| st.keys.channel(id)).collect();
    st.hgetall_many(keys)
        .await?
        .iter()
        .map(|f| from_fields(st, f))
        .collect()
}

/// Up to `limit` ids of the listing `zset` (scored by listing order) after `after`.
pub async fn page_ids(
    st: &RedisStore,
    zset: String,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<String>> {
    let Some(after) = after else {
        return st.ok(st.conn().zrange(zset, 0, limit as isize - 1).await);
    };
    let score: Option<i64> = st.ok(st.conn().zscore(&zset, after).await)?;
    let score = score.ok_or(StoreError::NotFound)?;
    st.ok(st
        .conn()
        .zrangebyscore_limit(zset, format!("({score}"), "+inf", 0, limit as isize)
        .await)
}

pub async fn page(st: &RedisStore, after: Option<&str>, limit: usize) -> StoreResult<Vec<Channel>> {
    let ids = page_ids(st, st.keys.channels(), after, limit).await?;
    let keys = ids.iter().map(|id| st.keys.channel(id)).collect();
    st.hgetall_many(keys)
        .await?
        .iter()
        .map(|f| from_fields(st, f))
        .collect()
}

pub async fn update(st: &RedisStore, id: &str, patch: ChannelPatch) -> StoreResult<Channel> {
    let mut fields = vec![("updated_ms", Timestamp::now().millis().to_string())];
    if let Some(name) = patch.name {
        fields.push(("name", name));
    }
    if let Some(credentials) = &patch.credentials {
        fields.push(("credentials", seal_credentials(st, credentials)?));
    }
    if let Some(settings) = patch.settings {
        fields.push(("settings", Value::Object(settings).to_string()));
    }
    st.patch(super::keys::CHANNEL, id, &fields, &[]).await?;
    get(st, id).await?.ok_or(StoreError::NotFound)
}

pub async fn delete(st: &RedisStore, id: &str) -> StoreResult<()> {
    // The script refuses when the state changed since it was read; then read and decide again.
    for _ in 0..5 {
        let ch = get(st, id).await?.ok_or(StoreError::NotFound)?;
        if !ch.state.deletable() {
            return Err(StoreError::ChannelApproved);
        }
        let r = st
            .scripts
            .delete_channel
            .arg(st.keys.prefix())
            .arg(id)
            .arg(ch.state.as_str())
            .invoke_async::<()>(&mut st.conn())
            .await;
        match r {
            Ok(()) => return Ok(()),
            Err(e) if e.code() == Some("RETRY") => continue,
            Err(e) => return Err(st.fail(e)),
        }
    }
    Err(StoreError::Busy)
}

pub async fn transition(
    st: &RedisStore,
    id: &ChannelId,
    transition: Transition,
    actor: &str,
    reason: Option<String>,
    event_id: EventId,
) -> StoreResult<(Channel, Option<ChannelState>)> {
    // The script refuses when the state changed since it was read; then read and decide again.
    for _ in 0..5 {
        let ch = get(st, id).await?.ok_or(StoreError::NotFound)?;
        let Some(PlannedTransition {
            change,
            webhook_key,
            retire_keys,
            discard_held,
        }) = plan_transition(&ch, transition, actor, reason.clone())?
        else {
            return Ok((ch, None));
        };
        let to = change.state;
        let at = change.at.millis();
        let mut updated = ch.clone();
        updated.state = to;
        updated.state_reason = change.reason.clone();
        updated.webhook_key = if retire_keys {
            None
        } else {
            ch.webhook_key.clone().or(webhook_key.clone())
        };
        updated.updated_at = change.at;
        let envelope = envelope::state_changed(&event_id, &updated, &change);
        let history = serde_json::to_string(&change).map_err(|e| anyhow::anyhow!(e))?;
        let r = st
            .scripts
            .transition
            .arg(st.keys.prefix())
            .arg(id)
            .arg(ch.state.as_str())
            .arg(to.as_str())
            .arg(change.reason.clone().unwrap_or_default())
            .arg(if change.reason.is_some() { "1" } else { "0" })
            .arg(webhook_key.unwrap_or_default())
            .arg(at)
            .arg(history)
            .arg(&event_id)
            .arg(envelope.to_string())
            .arg(Timestamp::now().millis())
            .arg(if retire_keys { "1" } else { "0" })
            .arg(if discard_held { "1" } else { "0" })
            .invoke_async::<()>(&mut st.conn())
            .await;
        match r {
            Ok(()) => {
                st.notify.notify_one();
                let updated = get(st, id).await?.ok_or(StoreError::NotFound)?;
                return Ok((updated, Some(ch.state)));
            }
            Err(e) if e.code() == Some("RETRY") => continue,
            Err(e) => return Err(st.fail(e)),
        }
    }
    Err(StoreError::Busy)
}

pub async fn rotate_key(
    st: &RedisStore,
    id: &str,
    new_key: &str,
    previous_until_ms: i64,
) -> StoreResult<Channel> {
    let now = Timestamp::now().millis();
    let r = st
        .scripts
        .rotate_key
        .arg(st.keys.prefix())
        .arg(id)
        .arg(new_key)
        .arg((previous_until_ms - now).max(0))
        .arg(now)
        .invoke_async::<()>(&mut st.conn())
        .await;
    match r {
        Ok(()) => {}
        Err(e) if e.code() == Some("NOTFOUND") => return Err(StoreError::NotFound),
        Err(e) if e.code() == Some("STATE") => {
            let from = e
                .detail()
                .and_then(ChannelState::parse)
                .map(ChannelState::as_str)
                .unwrap_or("unknown");
            return Err(StoreError::InvalidTransition {
                from,
                transition: "rotate-key",
            });
        }
        Err(e) => return Err(st.fail(e)),
    }
    if let Ok(mut known) = st.known_channels.lock() {
        known.clear();
    }
    get(st, id).await?.ok_or(StoreError::NotFound)
}

pub async fn history(st: &RedisStore, id: &str) -> StoreResult<Vec<StateChange>> {
    let entries: Vec<String> = st.ok(st.conn().lrange(st.keys.channel_history(id), 0, -1).await)?;
    entries
        .iter()
        .map(|e| {
            serde_json::from_str(e)
                .map_err(|e| StoreError::Internal(anyhow::anyhow!("channel history: {e}")))
        })
        .collect()
}

pub async fn put_token(st: &RedisStore, hash: &str, role: &str, label: &str) -> StoreResult<()> {
    let key = st.keys.token(hash);
    let exists: bool = st.ok(st.conn().exists(&key).await)?;
    if exists {
        let r: Result<(), _> = st
            .conn()
            .hset_multiple(&key, &[("role", role), ("label", label)])
            .await;
        return st.ok(r);
    }
    create_token(st, &crate::ids::token_id(), hash, role, label).await
}

pub async fn create_token(
    st: &RedisStore,
    id: &TokenId,
    hash: &str,
    role: &str,
    label: &str,
) -> StoreResult<()> {
    let now = Timestamp::now().millis();
    let order = st.next_listing_order().await?;
    let r: Result<(), _> = redis::pipe()
        .atomic()
        .hset_multiple(
            st.keys.token(hash),
            &[
                ("id", id.to_string()),
                ("role", role.to_string()),
                ("label", label.to_string()),
                ("created_ms", now.to_string()),
            ],
        )
        .ignore()
        .set(st.keys.token_id(id), hash)
        .ignore()
        .zadd(st.keys.tokens(), id, order)
        .ignore()
        .query_async(&mut st.conn())
        .await;
    st.ok(r)
}

pub async fn list_tokens(st: &RedisStore) -> StoreResult<Vec<TokenInfo>> {
    let ids: Vec<String> = st.ok(st.conn().zrange(st.keys.tokens(), 0, -1).await)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = ids.iter().map(|id| st.keys.token_id(id)).collect();
    let hashes: Vec<Option<String>> = st.ok(st.conn().mget(keys).await)?;
    let keys = hashes.iter().flatten().map(|h| st.keys.token(h)).collect();
    Ok(st
        .hgetall_many(keys)
        .await?
        .iter()
        .map(|f| TokenInfo {
            id: text(f, "id").unwrap_or_default().into(),
            role: text(f, "role").unwrap_or_default(),
            label: f
                .get("label")
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default(),
            created_at: Timestamp::from_millis(int(f, "created_ms").unwrap_or(0)),
        })
        .collect())
}

pub async fn delete_token(st: &RedisStore, id: &TokenId) -> StoreResult<()> {
    let hash: Option<String> = st.ok(st.conn().get(st.keys.token_id(id)).await)?;
    let hash = hash.ok_or(StoreError::NotFound)?;
    let r: Result<(), _> = redis::pipe()
        .atomic()
        .del(st.keys.token(&hash))
        .ignore()
        .del(st.keys.token_id(id))
        .ignore()
        .zrem(st.keys.tokens(), id)
        .ignore()
        .query_async(&mut st.conn())
        .await;
    st.ok(r)
}

#[async_trait]
impl Channels for RedisStore {
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel> {
        insert(self, &channel).await?;
        get(self, &channel.id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_channel(&self, id: &ChannelId) -> StoreResult<Option<Channel>> {
        get(self, id).await
    }

    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        by_webhook_key(self, key).await
    }

    async fn list_channels(&self) -> StoreResult<Vec<Channel>> {
        list(self).await
    }

    async fn list_channels_page(
        &self,
        after: Option<ChannelId>,
        limit: usize,
    ) -> StoreResult<Vec<Channel>> {
        page(self, after.as_deref(), limit).await
    }

    async fn rotate_webhook_key(
        &self,
        id: &ChannelId,
        new_key: String,
        previous_until: Timestamp,
    ) -> StoreResult<Channel> {
        let previous_until_ms = previous_until.millis();
        rotate_key(self, id, &new_key, previous_until_ms).await
    }

    async fn update_channel(&self, id: &ChannelId, patch: ChannelPatch) -> StoreResult<Channel> {
        update(self, id, patch).await
    }

    async fn delete_channel(&self, id: &ChannelId) -> StoreResult<()> {
        delete(self, id).await
    }

    async fn transition_channel(
        &self,
        id: &ChannelId,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: EventId,
    ) -> StoreResult<(Channel, Option<ChannelState>)> {
        self::transition(self, id, transition, actor, reason, event_id).await
    }

    async fn channel_history(&self, id: &ChannelId) -> StoreResult<Vec<StateChange>> {
        history(self, id).await
    }
}

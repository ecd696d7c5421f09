//! The `redis` engine: stateless replicas sharing one Redis. Channels, destinations,
//! deliveries and messages are hashes; events are hashes indexed by sorted sets in event order;
//! provider ids are de-duplicated by keys with an expiry; the delivery queue is a sorted set of
//! lanes by due time (retries included) with a lease and a fencing token per claimed lane, so
//! two replicas never work one (destination, conversation) at once and a dead replica's lanes
//! come due again when its lease ends. Every change that spans keys is one Lua script
//! (`lua/*.lua`), so an event is never stored without its deliveries or the other way round.
//!
//! While Redis is unreachable, webhooks are committed to a local spool (`spool.rs`) and acked;
//! a background task drains the spool into Redis, in order, once Redis answers again.

mod channels;
mod deliveries;
mod destinations;
mod events;
mod keys;
mod messages;
mod scripts;
mod spool;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisError};
use tokio::sync::Notify;

use crate::config::RedisSettings;
use crate::crypto::Cipher;
use crate::domain::channel::{Channel, ChannelState, StateChange, Transition};
use crate::domain::destination::Destination;
use crate::store::{
    AppendOutcome, AttemptRecord, ChannelPatch, Channels, ConversationRef, Delivery, DeliveryJob,
    DeliveryQuery, DeliveryQueue, DestinationPatch, Destinations, EventLog, EventQuery,
    HelpdeskLinks, Lane, MessageProgress, NewEvent, QueueStats, RelayedMessage, ReplyQueue, Store,
    StoreError, StoreResult, StoredEvent, TokenInfo, Tokens,
};

use keys::Keys;
use scripts::Scripts;
use spool::Spool;

/// A hash as read from Redis.
type Fields = HashMap<String, Vec<u8>>;

fn text(f: &Fields, name: &str) -> Option<String> {
    f.get(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|s| !s.is_empty())
}

fn int(f: &Fields, name: &str) -> Option<i64> {
    text(f, name).and_then(|s| s.parse().ok())
}

/// A field every record of its kind is written with: without it the hash is damaged, and
/// reading it as a default would show plausible but wrong data.
fn required(f: &Fields, record: &str, name: &str) -> StoreResult<String> {
    text(f, name).ok_or_else(|| damaged(f, record, &format!("no {name}")))
}

/// A required number (a time in ms, a count).
fn required_int(f: &Fields, record: &str, name: &str) -> StoreResult<i64> {
    let v = required(f, record, name)?;
    v.parse()
        .map_err(|_| damaged(f, record, &format!("{name} is not a number")))
}

/// The error of a damaged hash, naming the record by its id when it has one.
fn damaged(f: &Fields, record: &str, what: &str) -> StoreError {
    let id = text(f, "id").unwrap_or_else(|| "?".into());
    StoreError::Internal(anyhow::anyhow!("{record} {id}: damaged record: {what}"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn fmt_ms(ms: i64) -> String {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).unwrap_or_default();
    crate::domain::envelope::timestamp(at)
}

/// Whether an error means Redis cannot be reached (as opposed to a refused command).
fn unreachable(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(
            e.kind(),
            redis::ErrorKind::BusyLoadingError | redis::ErrorKind::TryAgain
        )
}

/// How long a reply may stay `sending` before another replica takes it back.
const SENDING_LEASE_MS: i64 = 5 * 60 * 1000;

pub struct RedisStore {
    conn: ConnectionManager,
    keys: Keys,
    dedup_ttl_ms: i64,
    cipher: Cipher,
    scripts: Scripts,
    notify: Arc<Notify>,
    /// The fencing token of every lane this replica holds.
    leases: Mutex<HashMap<String, String>>,
    /// Channels last read by webhook key, used while Redis is unreachable.
    known_channels: Mutex<HashMap<String, Channel>>,
    /// Set by an unreachable Redis, cleared by the next answer.
    down: AtomicBool,
    spool: Spool,
    /// While set, webhooks go to the spool (Redis was unreachable, or the spool is not drained).
    spooling: AtomicBool,
    spool_gate: tokio::sync::Mutex<()>,
    spool_wake: Notify,
    closed: AtomicBool,
}

impl RedisStore {
    /// Connects (Redis must answer at start), opens the spool in `spool_dir` and starts the
    /// task that drains it.
    pub async fn open(
        settings: &RedisSettings,
        spool_dir: &Path,
        cipher: Cipher,
    ) -> anyhow::Result<Arc<RedisStore>> {
        let client = redis::Client::open(settings.url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(settings.timeout)
            .set_response_timeout(settings.timeout)
            .set_number_of_retries(1)
            .set_max_delay(1000);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let spool = Spool::open(&spool_dir.join("redis-spool.db"))?;
        let pending = spool.len().await?;
        if pending > 0 {
            tracing::warn!(
                webhooks = pending,
                "webhooks spooled while Redis was unreachable are drained into Redis"
            );
        }
        let store = Arc::new(RedisStore {
            conn,
            keys: Keys::new(&settings.key_prefix),
            dedup_ttl_ms: settings.dedup_ttl.as_millis().max(1) as i64,
            cipher,
            scripts: Scripts::new(),
            notify: Arc::new(Notify::new()),
            leases: Mutex::new(HashMap::new()),
            known_channels: Mutex::new(HashMap::new()),
            down: AtomicBool::new(false),
            spool,
            spooling: AtomicBool::new(pending > 0),
            spool_gate: tokio::sync::Mutex::new(()),
            spool_wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        tokio::spawn(drain(Arc::downgrade(&store)));
        Ok(store)
    }

    /// The next number of the listing order of channels, destinations and tokens: creation
    /// order, even for two created in the same millisecond.
    async fn next_listing_order(&self) -> StoreResult<i64> {
        let r = self.conn().incr(self.keys.listing_order(), 1).await;
        self.ok(r)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Maps a Redis error to the store's, noting an unreachable Redis. Scripts refuse with
    /// `NOTFOUND`, `QUEUED` (a delivery), `DISABLED` (a destination) or `STALE` (a lease) and
    /// a detail; `RETRY` is handled where a script is called.
    fn fail(&self, e: RedisError) -> StoreError {
        if unreachable(&e) {
            self.down.store(true, Ordering::Relaxed);
        }
        match e.code() {
            Some("NOTFOUND") => StoreError::NotFound,
            Some("QUEUED") => StoreError::DeliveryQueued,
            Some("DISABLED") => StoreError::DestinationDisabled,
            Some("STALE") => StoreError::LeaseLost,
            _ => StoreError::Internal(anyhow::anyhow!("redis: {e}")),
        }
    }

    fn ok<T>(&self, r: Result<T, RedisError>) -> StoreResult<T> {
        match r {
            Ok(v) => {
                self.down.store(false, Ordering::Relaxed);
                Ok(v)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    async fn hgetall(&self, key: String) -> StoreResult<Option<Fields>> {
        let f: Fields = self.ok(self.conn().hgetall(key).await)?;
        Ok((!f.is_empty()).then_some(f))
    }

    /// Reads several hashes in one round trip, skipping missing ones.
    async fn hgetall_many(&self, keys: Vec<String>) -> StoreResult<Vec<Fields>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for k in &keys {
            pipe.hgetall(k);
        }
        let all: Vec<Fields> = self.ok(pipe.query_async(&mut self.conn()).await)?;
        Ok(all.into_iter().filter(|f| !f.is_empty()).collect())
    }

    /// Writes the fields a patch names into the hash of record `family:id`, atomically and only
    /// while it exists (`patch.lua`), so concurrent writers of other fields keep their changes.
    async fn patch(
        &self,
        family: &str,
        id: &str,
        set: &[(&str, String)],
        remove: &[&str],
    ) -> StoreResult<()> {
        let mut call = self.scripts.patch.prepare_invoke();
        call.arg(self.keys.prefix())
            .arg(family)
            .arg(id)
            .arg(set.len());
        for (field, value) in set {
            call.arg(*field).arg(value);
        }
        for field in remove {
            call.arg(*field);
        }
        let r = call.invoke_async::<()>(&mut self.conn()).await;
        self.ok(r)
    }

    fn lane_key(lane: &Lane) -> String {
        keys::lane_member(&lane.destination_id, &lane.lane)
    }

    fn lease_token(&self, lane_key: &str) -> String {
        self.leases
            .lock()
            .ok()
            .and_then(|l| l.get(lane_key).cloned())
            .unwrap_or_default()
    }

    /// Forgets the lane's lease, unless it was claimed again (a newer token) meanwhile: that
    /// claim's holder still needs its token to record and settle.
    fn drop_lease(&self, lane_key: &str, token: &str) {
        if let Ok(mut l) = self.leases.lock() {
            if l.get(lane_key).is_some_and(|t| t == token) {
                l.remove(lane_key);
            }
        }
    }

    /// Spools a webhook, durably, and turns spooling on until the spool is drained.
    async fn spool_webhook(&self, channel_id: &str, events: &[NewEvent]) -> StoreResult<()> {
        self.spool.push(channel_id, events).await?;
        if !self.spooling.swap(true, Ordering::SeqCst) {
            tracing::warn!("Redis is unreachable: webhooks are spooled locally until it is back");
        }
        self.spool_wake.notify_one();
        Ok(())
    }

    /// Drains the spool into Redis in order; returns when it is empty or Redis fails again.
    async fn drain_once(&self) {
        loop {
            let batch = match self.spool.peek(64).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the spool");
                    return;
                }
            };
            if batch.is_empty() {
                let _gate = self.spool_gate.lock().await;
                if matches!(self.spool.len().await, Ok(0)) {
                    self.spooling.store(false, Ordering::SeqCst);
                    tracing::info!("the spool is drained; webhooks go to Redis again");
                    return;
                }
                continue;
            }
            for webhook in batch {
                match events::append(self, &webhook.channel_id, &webhook.events, webhook.acked_ms)
                    .await
                {
                    Ok(_) => {}
                    Err(events::AppendError::Redis(e)) if unreachable(&e) => {
                        self.down.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(events::AppendError::Redis(e)) if e.code() == Some("NOTFOUND") => {
                        tracing::warn!(
                            channel = %webhook.channel_id,
                            events = webhook.events.len(),
                            "spooled events dropped: their channel no longer takes webhooks"
                        );
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot move spooled events into Redis; retrying");
                        return;
                    }
                }
                if let Err(e) = self.spool.remove(webhook.seq).await {
                    tracing::error!(error = %e, "cannot remove a drained webhook from the spool");
                    return;
                }
            }
        }
    }
}

/// Drains the spool whenever something is spooled, retrying every half second.
async fn drain(store: std::sync::Weak<RedisStore>) {
    loop {
        let Some(s) = store.upgrade() else { return };
        if s.closed.load(Ordering::Relaxed) {
            return;
        }
        if s.spooling.load(Ordering::SeqCst) {
            s.drain_once().await;
        }
        let wait = async {
            tokio::select! {
                _ = s.spool_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        };
        wait.await;
        drop(s);
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn ping(&self) -> StoreResult<()> {
        let r: Result<String, _> = redis::cmd("PING").query_async(&mut self.conn()).await;
        self.ok(r).map(|_| ())
    }

    fn degraded(&self) -> bool {
        self.down.load(Ordering::Relaxed) || self.spooling.load(Ordering::SeqCst)
    }

    fn wakeups(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    async fn queue_stats(&self) -> StoreResult<QueueStats> {
        let (queued, dead, due, sending): (u64, u64, u64, u64) = self.ok(redis::pipe()
            .scard(self.keys.queued_deliveries())
            .scard(self.keys.dead_deliveries())
            .zcard(self.keys.messages_due())
            .zcard(self.keys.messages_sending())
            .query_async(&mut self.conn())
            .await)?;
        Ok(QueueStats {
            queued_deliveries: queued,
            dead_deliveries: dead,
            queued_replies: due + sending,
        })
    }
}

#[async_trait]
impl Tokens for RedisStore {
    async fn put_token(&self, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        channels::put_token(self, hash, role, label).await
    }

    async fn token_role(&self, hash: &str) -> StoreResult<Option<String>> {
        let role: Option<String> =
            self.ok(self.conn().hget(self.keys.token(hash), "role").await)?;
        Ok(role)
    }

    async fn has_tokens(&self, role: &str) -> StoreResult<bool> {
        Ok(channels::list_tokens(self)
            .await?
            .iter()
            .any(|t| t.role == role))
    }

    async fn create_token(&self, id: &str, hash: &str, role: &str, label: &str) -> StoreResult<()> {
        channels::create_token(self, id, hash, role, label).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        channels::list_tokens(self).await
    }

    async fn delete_token(&self, id: &str) -> StoreResult<()> {
        channels::delete_token(self, id).await
    }
}

#[async_trait]
impl Channels for RedisStore {
    async fn create_channel(&self, channel: Channel) -> StoreResult<Channel> {
        channels::insert(self, &channel).await?;
        channels::get(self, &channel.id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>> {
        channels::get(self, id).await
    }

    async fn channel_by_webhook_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        channels::by_webhook_key(self, key).await
    }

    async fn list_channels(&self) -> StoreResult<Vec<Channel>> {
        channels::list(self).await
    }

    async fn update_channel(&self, id: &str, patch: ChannelPatch) -> StoreResult<Channel> {
        channels::update(self, id, patch).await
    }

    async fn delete_channel(&self, id: &str) -> StoreResult<()> {
        channels::delete(self, id).await
    }

    async fn transition_channel(
        &self,
        id: &str,
        transition: Transition,
        actor: &str,
        reason: Option<String>,
        event_id: String,
    ) -> StoreResult<(Channel, Option<ChannelState>)> {
        channels::transition(self, id, transition, actor, reason, event_id).await
    }

    async fn channel_history(&self, id: &str) -> StoreResult<Vec<StateChange>> {
        channels::history(self, id).await
    }
}

#[async_trait]
impl Destinations for RedisStore {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination> {
        destinations::insert(self, &destination).await?;
        destinations::get(self, &destination.id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_destination(&self, id: &str) -> StoreResult<Option<Destination>> {
        destinations::get(self, id).await
    }

    async fn list_destinations(&self) -> StoreResult<Vec<Destination>> {
        destinations::list(self).await
    }

    async fn update_destination(
        &self,
        id: &str,
        patch: DestinationPatch,
    ) -> StoreResult<Destination> {
        destinations::update(self, id, patch).await
    }

    async fn delete_destination(&self, id: &str) -> StoreResult<()> {
        let r = self
            .scripts
            .delete_destination
            .arg(self.keys.prefix())
            .arg(id)
            .arg(now_ms())
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)
    }
}

#[async_trait]
impl EventLog for RedisStore {
    async fn append(
        &self,
        channel_id: &str,
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
        match events::append(self, channel_id, &events, now_ms()).await {
            Ok(outcomes) => {
                self.down.store(false, Ordering::Relaxed);
                Ok(outcomes)
            }
            Err(events::AppendError::Redis(e)) if unreachable(&e) => {
                self.down.store(true, Ordering::Relaxed);
                let _gate = self.spool_gate.lock().await;
                self.spool_webhook(channel_id, &events).await?;
                Ok(vec![AppendOutcome::Stored; events.len()])
            }
            Err(events::AppendError::Redis(e)) => Err(self.fail(e)),
            Err(events::AppendError::Store(e)) => Err(e),
        }
    }

    async fn list_events(&self, query: EventQuery) -> StoreResult<Vec<StoredEvent>> {
        events::list(self, &query).await
    }

    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>> {
        events::get(self, id).await
    }
}

#[async_trait]
impl DeliveryQueue for RedisStore {
    async fn list_deliveries(&self, query: DeliveryQuery) -> StoreResult<Vec<Delivery>> {
        deliveries::list(self, &query).await
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        deliveries::get(self, id).await
    }

    async fn retry_delivery(&self, id: &str) -> StoreResult<Delivery> {
        let r = self
            .scripts
            .retry_delivery
            .arg(self.keys.prefix())
            .arg(id)
            .arg(now_ms())
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)?;
        self.notify.notify_one();
        deliveries::get(self, id).await?.ok_or(StoreError::NotFound)
    }

    async fn replay(
        &self,
        destination_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
        let r = self
            .scripts
            .replay
            .arg(self.keys.prefix())
            .arg(destination_id)
            .arg(since)
            .arg(until)
            .arg(now_ms())
            .invoke_async::<u64>(&mut self.conn())
            .await;
        let n = self.ok(r)?;
        if n > 0 {
            self.notify.notify_one();
        }
        Ok(n)
    }

    async fn claim_lanes(
        &self,
        now_ms: i64,
        limit: usize,
        lease_until_ms: i64,
    ) -> StoreResult<Vec<Lane>> {
        let r = self
            .scripts
            .claim_lanes
            .arg(self.keys.prefix())
            .arg(now_ms)
            .arg(limit)
            .arg(lease_until_ms)
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
                destination_id: destination_id.to_string(),
                lane: lane.to_string(),
            });
        }
        Ok(lanes)
    }

    async fn lane_head(&self, lane: &Lane) -> StoreResult<Option<DeliveryJob>> {
        deliveries::lane_head(self, lane).await
    }

    async fn record_attempt(&self, record: AttemptRecord) -> StoreResult<Option<i64>> {
        let lk = Self::lane_key(&record.lane);
        let token = self.lease_token(&lk);
        let due = deliveries::record_attempt(self, &record, &token).await?;
        if due.is_none() {
            self.drop_lease(&lk, &token);
        }
        Ok(due)
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

    async fn next_due(&self) -> StoreResult<Option<i64>> {
        let r = self
            .scripts
            .next_due
            .arg(self.keys.prefix())
            .invoke_async::<Option<i64>>(&mut self.conn())
            .await;
        self.ok(r)
    }
}

#[async_trait]
impl ReplyQueue for RedisStore {
    async fn conversation(&self, id: &str) -> StoreResult<Option<ConversationRef>> {
        let Some(f) = self.hgetall(self.keys.conversation(id)).await? else {
            return Ok(None);
        };
        Ok(match (text(&f, "channel_id"), text(&f, "provider_ref")) {
            (Some(channel_id), Some(provider_ref)) => Some(ConversationRef {
                id: id.to_string(),
                channel_id,
                provider_ref,
            }),
            _ => None,
        })
    }

    async fn queue_message(&self, message: RelayedMessage) -> StoreResult<(RelayedMessage, bool)> {
        messages::queue(self, &message).await
    }

    async fn get_message(&self, id: &str) -> StoreResult<Option<RelayedMessage>> {
        messages::get(self, id).await
    }

    async fn claim_messages(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<RelayedMessage>> {
        messages::claim(self, now_ms, limit).await
    }

    async fn record_message(&self, id: &str, progress: MessageProgress) -> StoreResult<()> {
        messages::record(self, id, progress).await
    }

    async fn next_message_due(&self) -> StoreResult<Option<i64>> {
        let r: Result<Vec<(String, i64)>, _> = self
            .conn()
            .zrange_withscores(self.keys.messages_due(), 0, 0)
            .await;
        Ok(self.ok(r)?.first().map(|(_, at)| *at))
    }

    async fn requeue_interrupted_messages(&self) -> StoreResult<u64> {
        messages::requeue_stale(self).await
    }
}

#[async_trait]
impl HelpdeskLinks for RedisStore {
    async fn link(
        &self,
        destination_id: &str,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        let r = self
            .conn()
            .hget(self.keys.link(destination_id, kind), key)
            .await;
        self.ok(r)
    }

    async fn link_by_value(
        &self,
        destination_id: &str,
        kind: &str,
        value: &str,
    ) -> StoreResult<Option<String>> {
        let r = self
            .conn()
            .hget(self.keys.link_by_value(destination_id, kind), value)
            .await;
        self.ok(r)
    }

    async fn put_link(
        &self,
        destination_id: &str,
        kind: &str,
        key: &str,
        value: &str,
        replace: bool,
    ) -> StoreResult<bool> {
        let r = self
            .scripts
            .put_link
            .arg(self.keys.prefix())
            .arg(destination_id)
            .arg(kind)
            .arg(key)
            .arg(value)
            .arg(if replace { "1" } else { "0" })
            .invoke_async::<i64>(&mut self.conn())
            .await;
        Ok(self.ok(r)? == 1)
    }
}

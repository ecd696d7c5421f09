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

mod agents;
mod channels;
mod deliveries;
mod destinations;
mod events;
pub mod keys;
mod links;
mod messages;
mod scripts;
mod spool;
mod tokens;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisError};
use tokio::sync::Notify;

use crate::config::RedisSettings;
use crate::crypto::Cipher;
use crate::domain::channel::Channel;
use crate::domain::ids::ChannelId;
use crate::store::{Lane, NewEvent, QueueStats, Store, StoreError, StoreResult};

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
    /// Opens the spool in `spool_dir`, connects, and starts the task that drains the spool.
    /// Redis must answer at start, unless the spool holds acked webhooks (a replica restarted
    /// while Redis was unreachable): then it waits for Redis, so they are not left behind.
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
        let spool = Spool::open(&spool_dir.join("redis-spool.db"))?;
        let pending = spool.len().await?;
        let conn = connect(client, config, pending).await?;
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
        let moved: i64 = store
            .scripts
            .split_lanes
            .arg(store.keys.prefix())
            .invoke_async(&mut store.conn())
            .await?;
        if moved > 0 {
            tracing::info!(
                lanes = moved,
                "moved lanes to their destinations' due indexes"
            );
        }
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
    /// a detail, `TAKEN` (an agent's external id) or `UNKNOWN_AGENT` (a team member, named in the
    /// detail); `RETRY` is handled where a script is called.
    fn fail(&self, e: RedisError) -> StoreError {
        if unreachable(&e) {
            self.down.store(true, Ordering::Relaxed);
        }
        match e.code() {
            Some("NOTFOUND") => StoreError::NotFound,
            Some("QUEUED") => StoreError::DeliveryQueued,
            Some("DISABLED") => StoreError::DestinationDisabled,
            Some("STALE") => StoreError::LeaseLost,
            Some("TAKEN") => StoreError::Taken("external_id"),
            Some("UNKNOWN_AGENT") => {
                StoreError::UnknownAgent(e.detail().unwrap_or("?").to_string())
            }
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
    async fn spool_webhook(&self, channel_id: &ChannelId, events: &[NewEvent]) -> StoreResult<()> {
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

/// Connects to Redis; while `spooled` webhooks wait in the spool, an unreachable Redis is
/// waited for (retrying every second) instead of failing the start.
async fn connect(
    client: redis::Client,
    config: ConnectionManagerConfig,
    spooled: u64,
) -> anyhow::Result<ConnectionManager> {
    let mut told = false;
    loop {
        match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
            Ok(conn) => return Ok(conn),
            Err(e) if spooled > 0 && unreachable(&e) => {
                if !told {
                    tracing::warn!(
                        webhooks = spooled,
                        error = %e,
                        "Redis is unreachable and the spool holds acked webhooks: waiting for Redis"
                    );
                    told = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
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

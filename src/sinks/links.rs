//! One connection per stream destination, made on its first delivery and reused by every
//! attempt and every lane after it (a broker connection is costly to open, and brokers limit
//! how many a client may hold). A link that broke, or one made for settings that have since
//! changed, is replaced on the next attempt; the broker's address is checked against the egress
//! rules each time a link is made. Links of destinations no attempt used for a while are closed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::destination::Destination;
use crate::domain::ids::DestinationId;
use crate::domain::time::Timestamp;
use crate::egress::Egress;

/// Why an attempt at a broker did not deliver: a stable code (`connect_failed`, `timeout`,
/// `auth_failed`, ...), a human detail, and whether retrying can change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub detail: String,
    /// Retrying cannot help (a refused credential): the delivery is dead at once.
    pub permanent: bool,
    /// The connection is no longer usable: the next attempt makes a new one.
    pub broken: bool,
}

impl Failure {
    /// Worth retrying on the same connection (the broker answered "not now").
    pub fn retry(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            code,
            detail: detail.into(),
            permanent: false,
            broken: false,
        }
    }

    /// The connection failed or was lost: retried on a new one.
    pub fn broken(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            broken: true,
            ..Failure::retry(code, detail)
        }
    }

    /// Refused in a way that will not change on retry.
    pub fn permanent(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            permanent: true,
            broken: true,
            ..Failure::retry(code, detail)
        }
    }
}

/// A live connection to a broker.
pub trait Link: Send + Sync + 'static {
    /// Whether it can still carry a publish (its client has not given it up).
    fn is_open(&self) -> bool;
}

/// How long an unused link stays open.
const IDLE: Duration = Duration::from_secs(600);

struct Slot<L> {
    /// The destination's `updated_at` the link was made for.
    made_for: Timestamp,
    link: Option<Arc<L>>,
    used: Instant,
}

/// The links of one broker kind, by destination id.
pub struct Pool<L> {
    slots: Mutex<HashMap<DestinationId, Arc<tokio::sync::Mutex<Slot<L>>>>>,
    swept: Mutex<Instant>,
}

impl<L> Default for Pool<L> {
    fn default() -> Self {
        Pool {
            slots: Mutex::new(HashMap::new()),
            swept: Mutex::new(Instant::now()),
        }
    }
}

impl<L: Link> Pool<L> {
    /// The destination's link, made by `connect` when it has none that is usable. Lanes of one
    /// destination wait for one connection rather than each opening its own.
    pub async fn get<F, Fut>(&self, dest: &Destination, connect: F) -> Result<Arc<L>, Failure>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<L, Failure>>,
    {
        self.sweep();
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| poisoned())?;
            slots
                .entry(dest.id.clone())
                .or_insert_with(|| {
                    Arc::new(tokio::sync::Mutex::new(Slot {
                        made_for: dest.updated_at,
                        link: None,
                        used: Instant::now(),
                    }))
                })
                .clone()
        };
        let mut slot = slot.lock().await;
        slot.used = Instant::now();
        if let Some(link) = &slot.link {
            if slot.made_for == dest.updated_at && link.is_open() {
                return Ok(link.clone());
            }
        }
        slot.link = None;
        let link = Arc::new(connect().await?);
        slot.link = Some(link.clone());
        slot.made_for = dest.updated_at;
        Ok(link)
    }

    /// Drops the destination's link (it broke): the next attempt connects again.
    pub fn forget(&self, destination: &DestinationId) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(destination);
        }
    }

    /// Closes the links no attempt used for [`IDLE`] (a deleted destination's among them).
    fn sweep(&self) {
        let now = Instant::now();
        match self.swept.lock() {
            Ok(mut swept) if now.duration_since(*swept) > IDLE / 10 => *swept = now,
            _ => return,
        }
        if let Ok(mut slots) = self.slots.lock() {
            slots.retain(|_, slot| match slot.try_lock() {
                Ok(s) => now.duration_since(s.used) < IDLE,
                Err(_) => true,
            });
        }
    }
}

fn poisoned() -> Failure {
    Failure::retry("internal", "the link table is unavailable")
}

/// Every broker kind's links; the forwarder holds one.
#[derive(Default)]
pub struct Links {
    pub nats: Pool<super::nats::NatsLink>,
    pub redis: Pool<super::redis_stream::RedisLink>,
    pub amqp: Pool<super::amqp::AmqpLink>,
}

/// Refuses a broker the egress rules do not let the gateway call (checked as each link is
/// made, so an address that changed since registration is caught too).
pub async fn allowed(url: &str, egress: &Egress) -> Result<(), Failure> {
    crate::egress::check_url(url, egress).await.map_err(|e| {
        Failure::broken(
            "connect_failed",
            format!(
                "{e} (refused: security.allow_private_destinations is off and \
                 security.private_destination_allowlist does not name it)"
            ),
        )
    })
}

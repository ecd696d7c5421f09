//! The forwarder: takes due lanes from the store as soon as work is committed (no sleep-polling
//! on the hot path), runs one worker per lane so a conversation's events go strictly in order,
//! and many lanes in parallel so a failing conversation holds back no other.

pub mod deliverer;
mod lane;
mod schedule;
mod share;
pub mod webhook;
pub mod webhook_settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::config::DeliverySettings;
use crate::domain::time::Timestamp;
use crate::store::{AttemptResult, Lane, Store};

pub use deliverer::{AttemptError, AttemptReport, Deliverer, DeliveryContext, Outcome};
pub use lane::LanePolicy;
pub use schedule::RetrySchedule;
pub use share::{Health, Shares, Turn};

/// The longest the dispatcher sleeps without looking at the clock-driven retries.
const MAX_IDLE: Duration = Duration::from_secs(1);
/// Lanes claimed per store round trip.
const CLAIM_BATCH: usize = 256;
/// The longest the dispatcher waits, while due lanes were passed over (their destination at its
/// share or its breaker open), for a worker to finish before it looks again.
const PASSED_OVER_WAIT: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct Forwarder {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    /// `delivery.request_timeout`, per request: the client is shared with the relay.
    timeout: Duration,
    policy: LanePolicy,
    concurrency: usize,
    /// Lanes a worker holds now; `true` once the lane was claimed again meanwhile (a new event
    /// arrived after the worker's last look), so the worker hands it back when it stops.
    in_flight: Arc<Mutex<HashMap<Lane, bool>>>,
    egress: crate::egress::Egress,
    /// Each destination's share of the workers and its circuit breaker.
    shares: Arc<Shares>,
    /// Fills in thin events before they go out.
    enricher: crate::enrich::Enricher,
    /// Stream destinations' broker connections, reused across attempts.
    links: Arc<crate::sinks::Links>,
}

/// `omnigate_deliveries_total{kind, outcome}` with the outcome named like the delivery's status
/// after the attempt (`delivered`, `failed`: a retry is scheduled, `dead`), the attempt's
/// duration, and a destination's 429 as a rate-limit rejection. Labelled by the destination's
/// kind, never its id: `/metrics` may be open, and ids belong to the admin API.
fn record_metrics(kind: &'static str, result: &AttemptResult, report: &AttemptReport) {
    use crate::telemetry;
    let outcome = match result {
        AttemptResult::Delivered => "delivered",
        AttemptResult::Retry { .. } => "failed",
        AttemptResult::Dead => "dead",
    };
    metrics::counter!(telemetry::DELIVERIES, "kind" => kind, "outcome" => outcome).increment(1);
    metrics::histogram!(telemetry::DELIVERY_SECONDS, "kind" => kind)
        .record(report.duration.as_secs_f64());
    if report.status_code == Some(429) {
        metrics::counter!(telemetry::RATE_LIMITED, "by" => "destination", "name" => kind)
            .increment(1);
    }
}

impl Forwarder {
    /// `client`: the gateway's outbound client ([`crate::egress::client`]); `egress`: what it
    /// may reach (see [`crate::egress`]).
    pub fn new(
        store: Arc<dyn Store>,
        client: reqwest::Client,
        settings: &DeliverySettings,
        egress: crate::egress::Egress,
        enricher: crate::enrich::Enricher,
        shares: Arc<Shares>,
    ) -> Forwarder {
        Forwarder {
            store,
            client,
            timeout: settings.request_timeout,
            policy: LanePolicy {
                schedule: RetrySchedule::new(
                    settings.retry_schedule.clone(),
                    settings.jitter,
                    settings.max_retry_after,
                ),
                lease: settings.request_timeout + settings.lease_margin,
            },
            concurrency: settings.concurrency,
            in_flight: Arc::new(Mutex::new(HashMap::new())),
            egress,
            shares,
            enricher,
            links: Arc::new(crate::sinks::Links::default()),
        }
    }

    /// Runs until `shutdown` turns true, then lets in-flight attempts finish and hands their
    /// lanes back to the store.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let wake = self.store.wakeups();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut workers = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while workers.try_join_next().is_some() {}
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                let now = Timestamp::now();
                let lease_until = now + self.policy.lease;
                let share = self.shares.lane_share(Instant::now());
                match self
                    .store
                    .claim_lanes(now, free.min(CLAIM_BATCH), lease_until, &share)
                    .await
                {
                    Ok(lanes) => lanes,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim lanes; retrying shortly");
                        Vec::new()
                    }
                }
            };
            let full_batch = !claimed.is_empty() && claimed.len() == free.min(CLAIM_BATCH);
            for lane in claimed {
                // A lane claimed while its worker is still finishing stays with that worker,
                // which is told to hand it back (the claim has leased it; nobody else would
                // take it before the lease ends).
                let fresh = self
                    .in_flight
                    .lock()
                    .map(|mut lanes| match lanes.get_mut(&lane) {
                        Some(claimed_again) => {
                            *claimed_again = true;
                            false
                        }
                        None => {
                            lanes.insert(lane.clone(), false);
                            true
                        }
                    })
                    .unwrap_or(false);
                if !fresh {
                    continue;
                }
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let this = self.clone();
                let stop = shutdown.clone();
                self.shares.started(&lane.destination_id);
                workers.spawn(async move {
                    this.work_lane(&lane, stop).await;
                    this.shares.finished(&lane.destination_id);
                    let claimed_again = this
                        .in_flight
                        .lock()
                        .map(|mut lanes| lanes.remove(&lane).unwrap_or(false))
                        .unwrap_or(false);
                    if claimed_again {
                        if let Err(e) = this.store.settle_lane(&lane).await {
                            tracing::warn!(error = %e, "cannot hand a lane back");
                        }
                    }
                    drop(permit);
                    this.store.wakeups().notify_one();
                });
            }
            if full_batch {
                continue;
            }
            let idle = match self.store.next_due().await {
                Ok(Some(due)) => Timestamp::now()
                    .until(due)
                    .min(Duration::from_millis(1_000)),
                _ => MAX_IDLE,
            };
            // Something is due but was not claimed: every worker is busy, or its destination
            // is at its share or its breaker is open. A finishing worker wakes the dispatcher.
            let idle = if idle.is_zero() {
                PASSED_OVER_WAIT
            } else {
                idle.max(Duration::from_millis(5))
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
        }
        while workers.join_next().await.is_some() {}
        tracing::info!("forwarder stopped");
    }
}

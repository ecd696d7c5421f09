//! Each destination's share of the workers, so that one destination cannot delay another's
//! deliveries: at most `per_destination` of its lanes are in flight at once (the claim passes
//! over the rest, see [`LaneShare`]), and a circuit breaker stops sending to a destination
//! whose attempts keep timing out or failing to connect. After `threshold` such attempts in a
//! row it opens for `cooldown`; then one lane goes out as a probe: an answer of any kind closes
//! it, another timeout opens it again. Deliveries wait meanwhile without spending attempts.
//!
//! Hand-written rather than a breaker crate: the state is per destination, shared by many
//! tasks and read as a whole for every claim, which the crates' one-breaker-per-call-site
//! designs (`failsafe`, `recloser`) do not offer.

use crate::domain::ids::DestinationId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::deliverer::AttemptReport;
use crate::store::LaneShare;

/// How an attempt went for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The destination answered (whatever it said).
    Answered,
    /// It did not answer in time, or could not be reached.
    Unreachable,
}

impl Health {
    pub fn of(report: &AttemptReport) -> Health {
        match &report.error {
            Some(e) if e.code == "timeout" || e.code == "connect_failed" => Health::Unreachable,
            _ => Health::Answered,
        }
    }
}

/// A change of a destination's breaker worth telling the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Opened,
    Closed,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// Timeouts or connection failures in a row.
    failures: u32,
    /// Open until then; once past, half-open (one probe lane at a time).
    open_until: Option<Instant>,
}

impl State {
    fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.failures == 0 && self.open_until.is_none()
    }
}

#[derive(Debug)]
pub struct Shares {
    per_destination: usize,
    threshold: u32,
    cooldown: Duration,
    states: Mutex<HashMap<DestinationId, State>>,
}

impl Shares {
    pub fn new(per_destination: usize, threshold: u32, cooldown: Duration) -> Shares {
        Shares {
            per_destination: per_destination.max(1),
            threshold: threshold.max(1),
            cooldown,
            states: Mutex::new(HashMap::new()),
        }
    }

    /// The shares and breakers `delivery` settings ask for.
    pub fn from_settings(delivery: &crate::config::DeliverySettings) -> Shares {
        Shares::new(
            delivery.per_destination(),
            delivery.breaker_failures,
            delivery.breaker_cooldown,
        )
    }

    /// How long an open breaker waits before its probe.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }

    /// What the next claim may take of each destination at `now`.
    pub fn lane_share(&self, now: Instant) -> LaneShare {
        let cap = self.per_destination;
        let busy = self
            .states
            .lock()
            .map(|states| {
                states
                    .iter()
                    .map(|(id, s)| {
                        let busy = match s.open_until {
                            None => s.in_flight,
                            Some(until) if until > now => cap,
                            // Half-open: one probe at a time.
                            Some(_) if s.in_flight > 0 => cap,
                            Some(_) => cap - 1,
                        };
                        (id.clone(), busy)
                    })
                    .collect()
            })
            .unwrap_or_default();
        LaneShare {
            per_destination: cap,
            busy,
        }
    }

    /// A worker took one of the destination's lanes.
    pub fn started(&self, destination: &DestinationId) {
        if let Ok(mut states) = self.states.lock() {
            states.entry(destination.clone()).or_default().in_flight += 1;
        }
    }

    /// The worker let the lane go.
    pub fn finished(&self, destination: &DestinationId) {
        if let Ok(mut states) = self.states.lock() {
            if let Some(s) = states.get_mut(destination) {
                s.in_flight = s.in_flight.saturating_sub(1);
                if s.is_idle() {
                    states.remove(destination);
                }
            }
        }
    }

    /// Records how an attempt went; returns the breaker's turn, if it turned.
    pub fn record(
        &self,
        destination: &DestinationId,
        health: Health,
        now: Instant,
    ) -> Option<Turn> {
        let mut states = self.states.lock().ok()?;
        let s = states.entry(destination.clone()).or_default();
        match health {
            Health::Answered => {
                s.failures = 0;
                s.open_until.take().map(|_| Turn::Closed)
            }
            Health::Unreachable => {
                s.failures = s.failures.saturating_add(1);
                let was_open = s.open_until.is_some();
                if was_open || s.failures >= self.threshold {
                    s.open_until = Some(now + self.cooldown);
                }
                (!was_open && s.open_until.is_some()).then_some(Turn::Opened)
            }
        }
    }

    /// Whether the destination's breaker is open (or half-open) now.
    pub fn is_open(&self, destination: &DestinationId) -> bool {
        self.states
            .lock()
            .map(|states| {
                states
                    .get(destination)
                    .is_some_and(|s| s.open_until.is_some())
            })
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "dst_1";

    fn room(shares: &Shares, at: Instant) -> usize {
        shares.lane_share(at).room(D)
    }

    fn d() -> DestinationId {
        D.into()
    }

    #[test]
    fn a_destination_takes_at_most_its_share() {
        let shares = Shares::new(2, 3, Duration::from_secs(30));
        let t = Instant::now();
        assert_eq!(room(&shares, t), 2);
        shares.started(&d());
        assert_eq!(room(&shares, t), 1);
        shares.started(&d());
        assert_eq!(room(&shares, t), 0);
        assert_eq!(shares.lane_share(t).room("dst_other"), 2);
        shares.finished(&d());
        shares.finished(&d());
        assert_eq!(room(&shares, t), 2);
    }

    #[test]
    fn timeouts_in_a_row_open_the_breaker_and_one_probe_closes_it() {
        let shares = Shares::new(4, 3, Duration::from_secs(30));
        let t = Instant::now();
        assert_eq!(shares.record(&d(), Health::Unreachable, t), None);
        assert_eq!(
            shares.record(&d(), Health::Answered, t),
            None,
            "not in a row"
        );
        assert_eq!(shares.record(&d(), Health::Unreachable, t), None);
        assert_eq!(shares.record(&d(), Health::Unreachable, t), None);
        assert_eq!(
            shares.record(&d(), Health::Unreachable, t),
            Some(Turn::Opened)
        );
        assert_eq!(room(&shares, t + Duration::from_secs(29)), 0, "open");
        let later = t + Duration::from_secs(31);
        assert_eq!(room(&shares, later), 1, "half-open: one probe");
        shares.started(&d());
        assert_eq!(room(&shares, later), 0, "one probe at a time");
        assert_eq!(
            shares.record(&d(), Health::Unreachable, later),
            None,
            "a failed probe opens it again, told once"
        );
        shares.finished(&d());
        assert_eq!(room(&shares, later + Duration::from_secs(29)), 0);
        let probe = later + Duration::from_secs(31);
        assert_eq!(
            shares.record(&d(), Health::Answered, probe),
            Some(Turn::Closed)
        );
        assert_eq!(room(&shares, probe), 4);
        assert!(!shares.is_open(&d()));
    }
}

//! Throttling of failed authentication per source address: a limiter keyed by the presented
//! token never slows an attacker who tries a new token each time, so failures are counted per
//! address instead. An address over its budget is refused (429 with `Retry-After`) before its
//! token is even looked at, until the budget refills, so a word list cannot be tried at speed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Addresses remembered before the idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

/// Failed authentications per source address.
pub struct AuthFailures {
    budget: Option<DefaultKeyedRateLimiter<IpAddr>>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl AuthFailures {
    /// `per_minute` failures refill; `burst` may fail at once. `per_minute = 0` turns it off.
    pub fn new(per_minute: u32, burst: u32) -> AuthFailures {
        let budget = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        AuthFailures {
            budget,
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` while `ip` is blocked.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        // A poisoned lock only means another request panicked mid-update: the map is still
        // usable, and refusing every caller would lock the API.
        let blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        match blocked.get(&ip) {
            Some(until) if *until > Instant::now() => Err(seconds(*until - Instant::now())),
            _ => Ok(()),
        }
    }

    /// Counts a failure from `ip`; `Err(seconds to wait)` when it used up the budget.
    pub fn failed(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        if budget.len() > MAX_TRACKED {
            budget.retain_recent();
        }
        let Err(not_until) = budget.check_key(&ip) else {
            return Ok(());
        };
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        if blocked.len() > MAX_TRACKED {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(ip, Instant::now() + wait);
        Err(seconds(wait))
    }
}

fn seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_failure_budget_is_blocked_and_others_are_not() {
        let failures = AuthFailures::new(1, 3);
        let attacker: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(failures.check(attacker).is_ok());
            assert!(failures.failed(attacker).is_ok());
        }
        let wait = failures.failed(attacker).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            failures.check(attacker).is_err(),
            "blocked before the token is looked at"
        );
        assert!(failures.check(other).is_ok());
        assert!(failures.failed(other).is_ok());
    }
}

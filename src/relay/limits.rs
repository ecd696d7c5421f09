//! Per-channel send-rate limits. A provider declares "at most N calls in any window W"; the
//! limiter spaces calls evenly (GCRA, burst 1) so that no window of length W ever holds N calls,
//! and callers wait their turn: replies are queued, never dropped.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use omnigate_connector_core::RateLimit;

#[derive(Clone, Default)]
pub struct Limiters {
    by_channel: Arc<Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>>,
}

/// The spacing that keeps any window of `window` under `max_calls` calls: with burst 1 and
/// interval I, a window holds floor(W / I) + 1 calls, so I must exceed W / (N - 1).
pub fn interval(limit: RateLimit) -> Duration {
    let gaps = limit.max_calls.saturating_sub(1).max(1);
    limit.window / gaps + Duration::from_millis(1)
}

impl Limiters {
    /// Waits until the channel may make its next call.
    pub async fn until_ready(
        &self,
        channel: &str,
        provider: &'static str,
        limit: Option<RateLimit>,
    ) {
        let Some(limit) = limit else { return };
        let limiter = {
            // A panic elsewhere while the map was held leaves it poisoned, but every limiter in
            // it is still whole (their state is atomic): keep using them. Sending unlimited
            // would break the provider's rate contract.
            let mut map = self
                .by_channel
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(channel.to_string())
                .or_insert_with(|| {
                    let quota = Quota::with_period(interval(limit))
                        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                        .allow_burst(NonZeroU32::MIN);
                    Arc::new(RateLimiter::direct(quota))
                })
                .clone()
        };
        if limiter.check().is_err() {
            metrics::counter!(crate::telemetry::RATE_LIMIT_WAITS, "provider" => provider)
                .increment(1);
            limiter.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naver_spacing_keeps_every_three_second_window_under_thirty_calls() {
        let limit = RateLimit {
            max_calls: 29,
            window: Duration::from_secs(3),
        };
        let i = interval(limit);
        let per_window = (limit.window.as_millis() / i.as_millis()) as u32 + 1;
        assert!(per_window <= 29, "{per_window} calls fit in 3 s at {i:?}");
    }

    #[tokio::test]
    async fn a_poisoned_lock_keeps_limiting() {
        let limiters = Limiters::default();
        let limit = Some(RateLimit {
            max_calls: 2,
            window: Duration::from_millis(300),
        });
        limiters.until_ready("chn_a", "test", limit).await;
        let held = limiters.by_channel.clone();
        let poisoner = std::thread::spawn(move || {
            let _guard = held.lock();
            panic!("a panic while the limiters are held");
        });
        assert!(poisoner.join().is_err());
        assert!(limiters.by_channel.is_poisoned());
        // Calls still wait their turn (300 ms apart), for a channel seen before the poisoning
        // and for one seen for the first time after it. (The first call of each pair may go at
        // once: the panic above can take longer than the interval.)
        for channel in ["chn_a", "chn_b"] {
            limiters.until_ready(channel, "test", limit).await;
            let start = std::time::Instant::now();
            limiters.until_ready(channel, "test", limit).await;
            assert!(
                start.elapsed() >= Duration::from_millis(250),
                "{channel}: {:?}",
                start.elapsed()
            );
        }
    }
}

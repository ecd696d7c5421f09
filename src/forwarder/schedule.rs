//! The retry schedule: the delay before each attempt, spread by jitter so a recovering
//! helpdesk is not hit by every retry at once.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: f64,
    max_retry_after: Duration,
}

impl RetrySchedule {
    pub fn new(delays: Vec<Duration>, jitter: f64, max_retry_after: Duration) -> Self {
        RetrySchedule {
            delays,
            jitter,
            max_retry_after,
        }
    }

    /// The delay before the next attempt after `attempts_done` failed ones, or `None` when the
    /// schedule is exhausted. `retry_after` (from a 429/503) replaces the scheduled delay.
    pub fn next_delay(
        &self,
        attempts_done: usize,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let scheduled = *self.delays.get(attempts_done)?;
        if let Some(asked) = retry_after {
            return Some(asked.min(self.max_retry_after));
        }
        if scheduled.is_zero() || self.jitter == 0.0 {
            return Some(scheduled);
        }
        let factor = rand::thread_rng().gen_range((1.0 - self.jitter)..=(1.0 + self.jitter));
        Some(scheduled.mul_f64(factor))
    }

    pub fn attempts(&self) -> usize {
        self.delays.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> RetrySchedule {
        RetrySchedule::new(
            vec![
                Duration::ZERO,
                Duration::from_secs(5),
                Duration::from_secs(300),
            ],
            0.2,
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn delays_follow_the_schedule_within_the_jitter() {
        let s = schedule();
        for _ in 0..100 {
            let d = s.next_delay(1, None).unwrap();
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(6),
                "{d:?}"
            );
        }
        assert_eq!(s.next_delay(3, None), None, "three attempts, then dead");
    }

    #[test]
    fn retry_after_replaces_the_delay_up_to_the_cap() {
        let s = schedule();
        assert_eq!(
            s.next_delay(1, Some(Duration::from_secs(42))),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            s.next_delay(1, Some(Duration::from_secs(99999))),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(s.next_delay(3, Some(Duration::from_secs(1))), None);
    }
}

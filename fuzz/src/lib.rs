//! Fuzz targets for the connectors, run as property tests inside `cargo test`.
//!
//! The targets (`tests/targets.rs`) loop over the gateway's connector registry, so every
//! registered connector is fuzzed without code of its own: `verify` + `normalize` fed hostile
//! bodies (mutations of the connector's fixtures, random and deeply nested JSON, random bytes)
//! and headers, and the same bodies genuinely signed through the connector's `sign_request` so
//! normalize is reached past verify; and, for connectors that relay replies, the reply
//! rendering (`validate_reply`, `next_reply_call`, `interpret_reply`). The properties: nothing
//! panics, normalize is total (at least one event, `provider.unrecognized` when nothing maps),
//! outputs stay bounded by the input, a kept body holds no channel secret, and provider calls
//! never leave the configured API base.
//!
//! The number of inputs per target comes from `PROPTEST_CASES` (proptest's own variable);
//! `scripts/fuzz-long.sh` runs every target for a million or more in release mode.

pub mod inbound;
pub mod inputs;
pub mod replies;

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::test_runner::Config;

/// The suite's default number of inputs per target, when `PROPTEST_CASES` is not set.
pub const DEFAULT_CASES: u32 = 256;

/// The proptest configuration every target uses: `PROPTEST_CASES` or [`DEFAULT_CASES`], no
/// failure files written into the source tree by the suite.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Counts the inputs a target ran, for the long run's record.
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Prints `fuzz target NAME: N inputs` (seen with `--nocapture`).
    pub fn report(&self, name: &str) {
        println!(
            "fuzz target {name}: {} inputs, no failure",
            self.0.load(Ordering::Relaxed)
        );
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

//! Real-browser tests: headless chromium (driven through chromedriver) loads pages served on
//! loopback and the tests assert what a visitor would see. `support` starts and shares the
//! browser; each test owns its gateway and its pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The API suite's gateway builder and helpers, shared rather than copied.
#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/process.rs"]
mod process;
mod support;

mod console;
mod harness;

//! Prometheus metrics: counters and histograms recorded through the `metrics` facade, rendered
//! by `metrics-exporter-prometheus` at `GET /metrics`. One recorder per process.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Seconds, from 0.5 ms to 30 s: webhook acks are sub-millisecond to a few ms; deliveries and
/// provider calls go up to their timeouts.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// Installs the recorder on first use and returns the handle that renders it.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .and_then(|b| b.install_recorder());
            match built {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are disabled: cannot install the recorder");
                    None
                }
            }
        })
        .as_ref()
}

pub const WEBHOOKS: &str = "omnigate_webhooks_received_total";
pub const INGEST_SECONDS: &str = "omnigate_ingest_duration_seconds";
pub const EVENTS_STORED: &str = "omnigate_events_stored_total";
pub const DELIVERIES: &str = "omnigate_deliveries_total";
pub const DELIVERY_SECONDS: &str = "omnigate_delivery_duration_seconds";
pub const RELAY_CALLS: &str = "omnigate_relay_calls_total";
pub const RELAY_SECONDS: &str = "omnigate_relay_call_duration_seconds";
pub const RATE_LIMIT_WAITS: &str = "omnigate_rate_limit_waits_total";
/// Calls refused for their rate (429): `by` who refused (`destination`, `provider`), `name` which one.
pub const RATE_LIMITED: &str = "omnigate_rate_limit_rejections_total";
pub const QUEUED_DELIVERIES: &str = "omnigate_deliveries_queued";
pub const DEAD_DELIVERIES: &str = "omnigate_deliveries_dead";
pub const QUEUED_REPLIES: &str = "omnigate_replies_queued";
pub const HTTP_PROBLEMS: &str = "omnigate_http_problems_total";

/// Counts one problem answer by its code and status.
pub fn problem(status: u16, code: &'static str) {
    metrics::counter!(HTTP_PROBLEMS, "code" => code, "status" => status.to_string()).increment(1);
}

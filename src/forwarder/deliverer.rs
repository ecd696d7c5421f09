//! The seam between the forwarder and a destination kind: a [`Deliverer`] makes one delivery
//! attempt and reports what it came to; the forwarder decides what that means for the delivery
//! (retry, dead, destination disabled) and records it. A new destination kind is one file
//! implementing [`Deliverer`], named by its [`crate::kinds::Kind`].

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::destination::Destination;
use crate::store::{DeliveryJob, Store};

/// What the destination's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again (server error, timeout, connection failure, 429/503).
    Retryable {
        retry_after: Option<Duration>,
    },
    /// The destination is gone (410): it is disabled, nothing more is sent.
    Gone,
    /// Refused in a way that will not change on retry (a helpdesk API's 4xx): dead at once.
    Permanent,
}

/// Why an attempt did not deliver (or, on a delivered one, the rule it was skipped by): a
/// stable code (`http_500`, `timeout`, `skipped`, ...) and a short human detail. Stored and
/// shown as `{code}: {detail}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    pub code: String,
    pub detail: String,
}

impl AttemptError {
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        AttemptError {
            code: code.into(),
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for AttemptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// One attempt as the deliverer saw it.
#[derive(Debug, Clone)]
pub struct AttemptReport {
    pub outcome: Outcome,
    pub status_code: Option<u16>,
    pub error: Option<AttemptError>,
    pub duration: Duration,
}

/// What a deliverer may use: the gateway's one outbound client, the store (a helpdesk remembers
/// what it created there), and the egress rules.
pub struct DeliveryContext<'a> {
    pub client: &'a reqwest::Client,
    pub store: &'a dyn Store,
    /// `delivery.request_timeout`, applied to each outbound request.
    pub timeout: Duration,
    /// What outbound calls may reach (see [`crate::egress`]).
    pub egress: &'a crate::egress::Egress,
    /// The connections to stream destinations' brokers, one per destination.
    pub links: &'a crate::sinks::Links,
}

/// One destination kind's way of making a delivery.
#[async_trait]
pub trait Deliverer: Send + Sync {
    async fn deliver(
        &self,
        ctx: &DeliveryContext<'_>,
        dest: &Destination,
        job: &DeliveryJob,
    ) -> AttemptReport;
}

/// The deliverer for a destination's kind: the registry of destination kinds. A helpdesk
/// brings its own ([`crate::helpdesk::by_kind`]); every other kind is listed here.
pub fn for_destination(dest: &Destination) -> &'static dyn Deliverer {
    crate::kinds::of(dest).deliverer()
}

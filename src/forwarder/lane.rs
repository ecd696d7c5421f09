//! One lane's worker: delivers a lane's queued events in order through the destination kind's
//! [`Deliverer`](super::deliverer::Deliverer), and [`LanePolicy::decide`]s, without I/O, what
//! each attempt means for its delivery before the store records it.

use crate::domain::ids::DeliveryId;
use std::time::Duration;

use tokio::sync::watch;

use super::deliverer::{self, AttemptError, AttemptReport, DeliveryContext, Outcome};
use super::{record_metrics, Forwarder, RetrySchedule};
use crate::domain::destination::Destination;
use crate::domain::time::Timestamp;
use crate::enrich::{self, Filled};
use crate::store::{AttemptRecord, AttemptResult, DeliveryJob, Lane};

/// What the forwarder does with an attempt's outcome.
#[derive(Debug, Clone)]
pub struct LanePolicy {
    pub schedule: RetrySchedule,
    /// How long a worker holds a lane between two attempts.
    pub lease: Duration,
}

impl LanePolicy {
    /// The record of one attempt: delivered, retried later per the schedule (or dead once it
    /// is exhausted), dead at once for a permanent refusal, and a 410 disables the destination.
    /// The worker keeps the lane (`hold_until`) unless it waits on a retry or the
    /// destination is gone.
    pub fn decide(
        &self,
        lane: &Lane,
        job: &DeliveryJob,
        report: &AttemptReport,
        now: Timestamp,
    ) -> AttemptRecord {
        let attempts_done = (job.attempts + 1) as usize;
        let noted = report.error.as_ref().map(ToString::to_string);
        let (result, error) = match &report.outcome {
            Outcome::Delivered => (AttemptResult::Delivered, noted),
            Outcome::Gone | Outcome::Permanent => (AttemptResult::Dead, noted),
            Outcome::Retryable { retry_after } => {
                match self.schedule.next_delay(attempts_done, *retry_after) {
                    Some(delay) => (AttemptResult::Retry { at: now + delay }, noted),
                    None => (
                        AttemptResult::Dead,
                        Some(format!(
                            "retries_exhausted after {attempts_done} attempts; last: {}",
                            noted.unwrap_or_default()
                        )),
                    ),
                }
            }
        };
        let gone = report.outcome == Outcome::Gone;
        let keeps_lane = !matches!(result, AttemptResult::Retry { .. }) && !gone;
        AttemptRecord {
            lane: lane.clone(),
            delivery_id: job.delivery_id.clone(),
            result,
            status_code: report.status_code,
            error,
            duration_ms: report.duration.as_millis() as i64,
            hold_until: keeps_lane.then(|| now + self.lease),
            disable_destination: gone.then(|| "the destination answered 410 Gone".to_string()),
        }
    }
}

impl Forwarder {
    /// Delivers a lane's queued events in order until it is empty, waits on a retry, or
    /// shutdown is asked.
    pub(super) async fn work_lane(&self, lane: &Lane, stop: watch::Receiver<bool>) {
        let dest = match self.store.get_destination(&lane.destination_id).await {
            Ok(Some(d)) if d.enabled => d,
            Ok(_) => {
                let _ = self.store.settle_lane(lane).await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot load destination");
                let _ = self.store.settle_lane(lane).await;
                return;
            }
        };
        let deliverer = deliverer::for_destination(&dest);
        let ctx = DeliveryContext {
            client: &self.client,
            store: self.store.as_ref(),
            timeout: self.timeout,
            egress: &self.egress,
            links: &self.links,
        };
        loop {
            if *stop.borrow() {
                break;
            }
            let job = match self.store.lane_head(lane).await {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the lane head");
                    break;
                }
            };
            if job.next_attempt_at > Timestamp::now() {
                break;
            }
            let job = match self.filled_in(job).await {
                Ok(job) => job,
                Err(wait) => match self.store.record_attempt(wait.record(lane)).await {
                    // Only this lane waits: the worker lets it go until the retry is due.
                    Ok(_) => return,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot record a wait on enrichment");
                        break;
                    }
                },
            };
            let report = if wanted(&dest, &job.envelope) {
                let report = deliverer.deliver(&ctx, &dest, &job).await;
                let health = super::Health::of(&report);
                let turn = self
                    .shares
                    .record(&dest.id, health, std::time::Instant::now());
                log_turn(&dest.id, turn, self.shares.cooldown());
                report
            } else {
                skipped_by_filter()
            };
            tracing::debug!(
                delivery = %job.delivery_id,
                destination = %dest.id,
                request_id = job.request_id.as_deref().unwrap_or_default(),
                status = ?report.status_code,
                outcome = ?report.outcome,
                "delivery attempt"
            );
            let record = self.policy.decide(lane, &job, &report, Timestamp::now());
            let keeps_lane = record.hold_until.is_some();
            let result = record.result.clone();
            let noted = (record.error.clone(), record.disable_destination.clone());
            let recorded = self.store.record_attempt(record).await;
            // Counted and told once the attempt is on record, so neither runs ahead of the store.
            if recorded.is_ok() {
                record_metrics(dest.kind_name(), &result, &report);
                log_outcome(&dest.id, &job, &result, noted);
            }
            match recorded {
                Ok(_) if keeps_lane => continue,
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(error = %e, delivery = %job.delivery_id, "cannot record a delivery attempt");
                    break;
                }
            }
        }
        if let Err(e) = self.store.settle_lane(lane).await {
            tracing::warn!(error = %e, "cannot hand a lane back");
        }
    }
}

/// A delivery waiting on its event's enrichment: due again after `delay`, with the reason as
/// its last error. No attempt at the destination was made, so no status code.
struct EnrichmentWait {
    delivery_id: DeliveryId,
    delay: Duration,
    error: String,
}

impl EnrichmentWait {
    fn record(self, lane: &Lane) -> AttemptRecord {
        AttemptRecord {
            lane: lane.clone(),
            delivery_id: self.delivery_id,
            result: AttemptResult::Retry {
                at: Timestamp::now() + self.delay,
            },
            status_code: None,
            error: Some(self.error),
            duration_ms: 0,
            hold_until: None,
            disable_destination: None,
        }
    }
}

impl Forwarder {
    /// The job with its event filled in when it was awaiting enrichment (see [`crate::enrich`]).
    async fn filled_in(&self, mut job: DeliveryJob) -> Result<DeliveryJob, EnrichmentWait> {
        if !enrich::envelope::is_pending(&job.envelope) {
            return Ok(job);
        }
        match self
            .enricher
            .fill_in(&job.event_id, &job.envelope, job.attempts)
            .await
        {
            Filled::Ready(envelope) => {
                job.envelope = envelope;
                Ok(job)
            }
            Filled::Later {
                delay,
                code,
                message,
            } => Err(EnrichmentWait {
                delivery_id: job.delivery_id,
                delay,
                error: format!("{code}: {message}"),
            }),
        }
    }
}

/// Whether the destination's filters take the event as it is now: an event queued while its
/// type was not known yet (awaiting enrichment) may turn out to be one it does not want.
fn wanted(dest: &Destination, envelope: &serde_json::Value) -> bool {
    let event_type = envelope.get("type").and_then(|t| t.as_str());
    let channel = envelope
        .pointer("/data/channel/id")
        .and_then(|c| c.as_str());
    event_type.map_or(true, |t| dest.wants(t, channel))
}

fn skipped_by_filter() -> AttemptReport {
    AttemptReport {
        outcome: Outcome::Delivered,
        status_code: None,
        error: Some(AttemptError::new(
            "skipped",
            "the filled-in event's type is not one the destination takes",
        )),
        duration: Duration::ZERO,
    }
}

/// A destination's breaker opening is a warning, told once until it closes again.
fn log_turn(destination: &str, turn: Option<super::Turn>, cooldown: Duration) {
    match turn {
        Some(super::Turn::Opened) => tracing::warn!(
            destination,
            cooldown_s = cooldown.as_secs(),
            "destination unreachable (timeouts or connection failures in a row): circuit breaker \
             open; its deliveries wait, then one conversation probes it"
        ),
        Some(super::Turn::Closed) => {
            tracing::info!(
                destination,
                "destination answers again: circuit breaker closed"
            )
        }
        None => {}
    }
}

/// What an operator needs in the log to answer "my helpdesk gets nothing": a dead letter and a
/// disabled destination are warnings; a delivery's first failure is information (its retries
/// stay at debug, so a destination that is down does not flood the log).
fn log_outcome(
    destination: &str,
    job: &DeliveryJob,
    result: &AttemptResult,
    (error, disabled): (Option<String>, Option<String>),
) {
    let error = error.unwrap_or_default();
    if let Some(reason) = disabled {
        tracing::warn!(
            destination,
            %reason,
            "destination disabled: nothing more is sent to it until it is enabled again"
        );
    }
    match result {
        AttemptResult::Dead => tracing::warn!(
            destination,
            delivery = %job.delivery_id,
            event = %job.event_id,
            %error,
            "delivery dead: it will not be retried unless asked (POST /v1/deliveries/{{id}}/retry)"
        ),
        AttemptResult::Retry { at } if job.attempts == 0 => tracing::info!(
            destination,
            delivery = %job.delivery_id,
            %error,
            retry_in_ms = Timestamp::now().until(*at).as_millis() as u64,
            "delivery failed; retrying on the schedule"
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LanePolicy {
        LanePolicy {
            schedule: RetrySchedule::new(
                vec![Duration::ZERO, Duration::from_secs(5)],
                0.0,
                Duration::from_secs(60),
            ),
            lease: Duration::from_secs(30),
        }
    }

    fn lane() -> Lane {
        Lane {
            destination_id: "dst_1".into(),
            lane: "cnv_1".into(),
        }
    }

    fn job(attempts: i64) -> DeliveryJob {
        DeliveryJob {
            delivery_id: "dlv_1".into(),
            event_id: "evt_1".into(),
            attempts,
            next_attempt_at: Timestamp::from_millis(0),
            envelope: serde_json::Value::Null,
            raw: None,
            request_id: None,
        }
    }

    fn report(outcome: Outcome, error: Option<AttemptError>) -> AttemptReport {
        AttemptReport {
            outcome,
            status_code: Some(500),
            error,
            duration: Duration::from_millis(12),
        }
    }

    #[test]
    fn a_retryable_failure_is_retried_on_schedule_and_frees_the_lane() {
        let r = report(
            Outcome::Retryable { retry_after: None },
            Some(AttemptError::new("http_500", "Internal Server Error")),
        );
        let record = policy().decide(&lane(), &job(0), &r, Timestamp::from_millis(1_000));
        assert!(matches!(
            record.result,
            AttemptResult::Retry { at } if at.millis() == 6_000
        ));
        assert_eq!(
            record.error.as_deref(),
            Some("http_500: Internal Server Error")
        );
        assert_eq!(record.hold_until, None);
        assert_eq!(record.duration_ms, 12);
    }

    #[test]
    fn an_exhausted_schedule_makes_the_delivery_dead_with_the_last_error() {
        let r = report(
            Outcome::Retryable { retry_after: None },
            Some(AttemptError::new("timeout", "no answer")),
        );
        let record = policy().decide(&lane(), &job(1), &r, Timestamp::from_millis(1_000));
        assert!(matches!(record.result, AttemptResult::Dead));
        assert_eq!(
            record.error.as_deref(),
            Some("retries_exhausted after 2 attempts; last: timeout: no answer")
        );
        assert_eq!(
            record.hold_until,
            Some(Timestamp::from_millis(31_000)),
            "the worker goes on"
        );
    }

    #[test]
    fn gone_disables_the_destination_and_permanent_is_dead_at_once() {
        let gone = policy().decide(
            &lane(),
            &job(0),
            &report(Outcome::Gone, None),
            Timestamp::from_millis(0),
        );
        assert!(matches!(gone.result, AttemptResult::Dead));
        assert!(gone.disable_destination.is_some());
        assert_eq!(gone.hold_until, None);
        let refused = policy().decide(
            &lane(),
            &job(0),
            &report(Outcome::Permanent, None),
            Timestamp::from_millis(0),
        );
        assert!(matches!(refused.result, AttemptResult::Dead));
        assert_eq!(refused.disable_destination, None);
    }

    #[test]
    fn a_skipped_delivery_is_delivered_with_its_rule_as_the_note() {
        let r = report(
            Outcome::Delivered,
            Some(AttemptError::new(
                "skipped",
                "unrecognized provider payload",
            )),
        );
        let record = policy().decide(&lane(), &job(0), &r, Timestamp::from_millis(0));
        assert!(matches!(record.result, AttemptResult::Delivered));
        assert_eq!(
            record.error.as_deref(),
            Some("skipped: unrecognized provider payload")
        );
    }
}

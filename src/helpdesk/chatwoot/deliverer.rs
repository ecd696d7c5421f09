//! The `chatwoot` destination kind's deliverer: one event written into the inbox through
//! Chatwoot's API ([`super::deliver`]), its answer classified like any delivery attempt.

use std::time::Instant;

use async_trait::async_trait;

use super::api::{Api, CallError};
use super::deliver::{Delivery, Written};
use crate::domain::destination::Destination;
use crate::forwarder::{AttemptError, AttemptReport, Deliverer, DeliveryContext, Outcome};
use crate::store::DeliveryJob;

/// Writes each event into a Chatwoot API-channel inbox.
pub struct Chatwoot;

#[async_trait]
impl Deliverer for Chatwoot {
    async fn deliver(
        &self,
        ctx: &DeliveryContext<'_>,
        dest: &Destination,
        job: &DeliveryJob,
    ) -> AttemptReport {
        let started = Instant::now();
        let Some(settings) = super::settings::of(dest) else {
            return AttemptReport {
                outcome: Outcome::Permanent,
                status_code: None,
                error: Some(AttemptError::new(
                    "invalid_destination",
                    "the destination has no Chatwoot settings",
                )),
                duration: started.elapsed(),
            };
        };
        let delivery = Delivery {
            api: Api {
                client: ctx.client,
                timeout: ctx.timeout,
                settings,
                request_id: job.request_id.as_deref(),
            },
            store: ctx.store,
            destination_id: &dest.id,
            egress: ctx.egress,
        };
        let (outcome, status_code, error) = match delivery.run(job).await {
            Ok(Written::Done) => (Outcome::Delivered, None, None),
            // A delivery skipped by rule keeps the rule as its note.
            Ok(Written::Skipped(reason)) => (
                Outcome::Delivered,
                None,
                Some(AttemptError::new("skipped", reason)),
            ),
            Err(e) => {
                let outcome = match &e {
                    CallError::Retryable { retry_after, .. } => Outcome::Retryable {
                        retry_after: *retry_after,
                    },
                    CallError::NotFound { .. } | CallError::Permanent { .. } => Outcome::Permanent,
                };
                (outcome, e.status(), Some(e.error().clone()))
            }
        };
        AttemptReport {
            outcome,
            status_code,
            error,
            duration: started.elapsed(),
        }
    }
}

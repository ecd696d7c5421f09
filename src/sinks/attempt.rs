//! One delivery attempt at a broker, the same for every broker kind: take the destination's
//! link (connecting when it has none), publish, and wait for the broker's confirmation, all
//! within `delivery.request_timeout`, so a broker that does not answer is treated like a
//! webhook endpoint that hangs (a `timeout`, counted by the destination's circuit breaker).

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::links::{self, Failure, Link, Links, Pool};
use super::message::Message;
use crate::domain::destination::Destination;
use crate::forwarder::{AttemptError, AttemptReport, Deliverer, DeliveryContext, Outcome};
use crate::store::DeliveryJob;

/// What the broker said to a publish it confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    Stored,
    /// Confirmed without storing it again: the broker already holds this event id (JetStream's
    /// de-duplication); the note says so.
    Duplicate(String),
}

/// A broker kind's client side.
#[async_trait]
pub trait Sink: Send + Sync + 'static {
    type Link: Link;
    fn pool(links: &Links) -> &Pool<Self::Link>;
    /// A new connection for the destination (its address already checked).
    async fn connect(&self, dest: &Destination, timeout: Duration) -> Result<Self::Link, Failure>;
    /// Publishes the message and waits for the broker's confirmation.
    async fn publish(
        &self,
        link: &Self::Link,
        dest: &Destination,
        message: &Message,
    ) -> Result<Published, Failure>;
}

/// One attempt to publish the job's event to the destination's broker.
pub async fn deliver<S: Sink>(
    sink: &S,
    ctx: &DeliveryContext<'_>,
    dest: &Destination,
    job: &DeliveryJob,
) -> AttemptReport {
    let started = Instant::now();
    let message = Message::of(dest, job);
    let pool = S::pool(ctx.links);
    let work = async {
        let link = pool
            .get(dest, || async {
                links::allowed(&dest.url, ctx.egress).await?;
                sink.connect(dest, ctx.timeout).await
            })
            .await?;
        sink.publish(&link, dest, &message).await
    };
    let result = match tokio::time::timeout(ctx.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Failure::broken(
            "timeout",
            format!(
                "the broker did not confirm within {} ms",
                ctx.timeout.as_millis()
            ),
        )),
    };
    let (outcome, error) = match result {
        Ok(Published::Stored) => (Outcome::Delivered, None),
        Ok(Published::Duplicate(note)) => (
            Outcome::Delivered,
            Some(AttemptError::new("duplicate", note)),
        ),
        Err(f) => {
            if f.broken {
                pool.forget(&dest.id);
            }
            let outcome = if f.permanent {
                Outcome::Permanent
            } else {
                Outcome::Retryable { retry_after: None }
            };
            (outcome, Some(AttemptError::new(f.code, f.detail)))
        }
    };
    AttemptReport {
        outcome,
        status_code: None,
        error,
        duration: started.elapsed(),
    }
}

/// Every broker kind delivers the same way.
#[async_trait]
impl<S: Sink> Deliverer for S {
    async fn deliver(
        &self,
        ctx: &DeliveryContext<'_>,
        dest: &Destination,
        job: &DeliveryJob,
    ) -> AttemptReport {
        deliver(self, ctx, dest, job).await
    }
}

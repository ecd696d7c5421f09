//! The `webhook` destination kind: one Standard Webhooks attempt. The event is signed, POSTed,
//! and the answer classified as delivered, retryable or gone, each with a stable code.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use super::deliverer::{AttemptError, AttemptReport, Deliverer, DeliveryContext, Outcome};
use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::domain::secret::ExposeSecret;
use crate::domain::time::Timestamp;
use crate::store::DeliveryJob;

/// Signs and POSTs each event to the destination's URL.
pub struct Webhook;

#[async_trait]
impl Deliverer for Webhook {
    async fn deliver(
        &self,
        ctx: &DeliveryContext<'_>,
        dest: &Destination,
        job: &DeliveryJob,
    ) -> AttemptReport {
        attempt(ctx.client, ctx.timeout, dest, job).await
    }
}

/// Builds the body, signs it and sends it.
async fn attempt(
    client: &reqwest::Client,
    timeout: Duration,
    dest: &Destination,
    job: &DeliveryJob,
) -> AttemptReport {
    let started = Instant::now();
    let body = with_raw(job.envelope.clone(), job.raw.as_deref(), dest.include_raw).to_string();
    let request = match signed(client, timeout, dest, &job.event_id, body) {
        Ok(r) => r,
        Err(error) => {
            return AttemptReport {
                outcome: Outcome::Retryable { retry_after: None },
                status_code: None,
                error: Some(error),
                duration: started.elapsed(),
            }
        }
    };
    // The id of the webhook request that brought the event in, for tracing it end to end.
    let request = match &job.request_id {
        Some(id) => request.header("x-request-id", id),
        None => request,
    };
    let sent = request.send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let code = crate::egress::unanswered_code(&e);
            return AttemptReport {
                outcome: Outcome::Retryable { retry_after: None },
                status_code: None,
                error: Some(AttemptError::new(code, error_chain(&e))),
                duration: started.elapsed(),
            };
        }
    };
    let status = response.status();
    let retry_after = parse_retry_after(response.headers().get(RETRY_AFTER));
    let (outcome, error) = classify(status, retry_after);
    // The body is not read: nothing in it matters, and a huge one must not cost memory.
    drop(response);
    AttemptReport {
        outcome,
        status_code: Some(status.as_u16()),
        error,
        duration: started.elapsed(),
    }
}

/// The POST of `body` to the destination, signed the Standard Webhooks way with `event_id`.
fn signed(
    client: &reqwest::Client,
    timeout: Duration,
    dest: &Destination,
    event_id: &str,
    body: String,
) -> Result<reqwest::RequestBuilder, AttemptError> {
    let timestamp = Timestamp::now().secs();
    let signature = standardwebhooks::Webhook::new(dest.secret.expose_secret())
        .and_then(|wh| wh.sign(event_id, timestamp, body.as_bytes()))
        .map_err(|e| AttemptError::new("signing_failed", e.to_string()))?;
    Ok(client
        .post(&dest.url)
        .timeout(timeout)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body))
}

/// What a destination answered to a test event.
#[derive(Debug, Clone)]
pub struct TestReply {
    pub status_code: Option<u16>,
    /// The start of the answer's body (the rest is not read).
    pub body: String,
    pub error: Option<AttemptError>,
    pub duration: Duration,
}

/// How much of a test answer's body is read and shown.
const TEST_BODY_BYTES: usize = 2048;

/// Sends one signed test event the way deliveries are sent, and reads the start of the answer,
/// so an operator sees what the destination says to a signed request without waiting for an
/// event. Nothing is stored.
pub async fn send_test(
    client: &reqwest::Client,
    timeout: Duration,
    dest: &Destination,
    event_id: &str,
    envelope: &serde_json::Value,
) -> TestReply {
    let started = Instant::now();
    let failed = |error: AttemptError| TestReply {
        status_code: None,
        body: String::new(),
        error: Some(error),
        duration: started.elapsed(),
    };
    let request = match signed(client, timeout, dest, event_id, envelope.to_string()) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let code = crate::egress::unanswered_code(&e);
            return failed(AttemptError::new(code, error_chain(&e)));
        }
    };
    let status = response.status();
    let mut body = Vec::new();
    while body.len() < TEST_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(TEST_BODY_BYTES);
    // Only what was answered: a test changes nothing, so a 410 disables nothing here.
    let error = (!status.is_success()).then(|| {
        AttemptError::new(
            format!("http_{}", status.as_u16()),
            status.canonical_reason().unwrap_or("unexpected status"),
        )
    });
    TestReply {
        status_code: Some(status.as_u16()),
        body: String::from_utf8_lossy(&body).into_owned(),
        error,
        duration: started.elapsed(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

pub fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
) -> (Outcome, Option<AttemptError>) {
    if status.is_success() {
        return (Outcome::Delivered, None);
    }
    let code = status.as_u16();
    if status == StatusCode::GONE {
        return (
            Outcome::Gone,
            Some(AttemptError::new(
                "http_410",
                "the destination answered 410 Gone and was disabled",
            )),
        );
    }
    let honours_retry_after = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    );
    let detail = if status.is_redirection() {
        "redirects are not followed; point the destination at the final URL"
    } else {
        status.canonical_reason().unwrap_or("unexpected status")
    };
    (
        Outcome::Retryable {
            retry_after: if honours_retry_after {
                retry_after
            } else {
                None
            },
        },
        Some(AttemptError::new(format!("http_{code}"), detail)),
    )
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let s = value?.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = Timestamp::parse_http_date(s)?;
    let wait = Timestamp::now().until(at);
    Some(Duration::from_secs(wait.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(StatusCode::OK, None).0, Outcome::Delivered);
        assert_eq!(classify(StatusCode::NO_CONTENT, None).0, Outcome::Delivered);
        assert_eq!(classify(StatusCode::GONE, None).0, Outcome::Gone);
        let d = Some(Duration::from_secs(7));
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, d).0,
            Outcome::Retryable { retry_after: d }
        );
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE, d).0,
            Outcome::Retryable { retry_after: d }
        );
        assert_eq!(
            classify(StatusCode::INTERNAL_SERVER_ERROR, d).0,
            Outcome::Retryable { retry_after: None }
        );
        let (o, e) = classify(StatusCode::FOUND, None);
        assert_eq!(o, Outcome::Retryable { retry_after: None });
        assert_eq!(e.unwrap().code, "http_302");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("120"))),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static(
                "Wed, 21 Oct 2015 07:28:00 GMT"
            ))),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("soon"))),
            None
        );
    }
}

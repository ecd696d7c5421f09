//! One delivery attempt: sign per Standard Webhooks, POST, and classify the answer as
//! delivered, retryable or permanent, each with a stable code.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::store::DeliveryJob;

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

#[derive(Debug, Clone)]
pub struct AttemptReport {
    pub outcome: Outcome,
    pub status_code: Option<u16>,
    /// A stable code and a short human detail, e.g. `http_500: ...`.
    pub error: Option<String>,
    pub duration: Duration,
}

/// A Chatwoot destination's attempt: the event written through Chatwoot's API.
pub async fn chatwoot(
    client: &reqwest::Client,
    store: &dyn crate::store::Store,
    (dest, settings): (&Destination, &crate::domain::destination::ChatwootSettings),
    job: &DeliveryJob,
    allow_private: bool,
) -> AttemptReport {
    use crate::helpdesk::chatwoot::api::{Api, CallError};
    use crate::helpdesk::chatwoot::deliver::{Delivery, Written};
    let started = Instant::now();
    let delivery = Delivery {
        api: Api {
            client,
            settings,
            request_id: job.request_id.as_deref(),
        },
        store,
        destination_id: &dest.id,
        allow_private,
    };
    let result = delivery.run(job).await;
    let (outcome, status_code, error) = match result {
        Ok(Written::Done) => (Outcome::Delivered, None, None),
        Ok(Written::Skipped(reason)) => (Outcome::Delivered, None, Some(reason.to_string())),
        Err(e) => {
            let outcome = match &e {
                CallError::Retryable { retry_after, .. } => Outcome::Retryable {
                    retry_after: *retry_after,
                },
                CallError::NotFound { .. } | CallError::Permanent { .. } => Outcome::Permanent,
            };
            (outcome, e.status(), Some(e.detail().to_string()))
        }
    };
    AttemptReport {
        outcome,
        status_code,
        error,
        duration: started.elapsed(),
    }
}

/// Builds the body, signs it and sends it.
pub async fn attempt(
    client: &reqwest::Client,
    dest: &Destination,
    job: &DeliveryJob,
) -> AttemptReport {
    let started = Instant::now();
    let body = with_raw(job.envelope.clone(), job.raw.as_deref(), dest.include_raw).to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match standardwebhooks::Webhook::new(&dest.secret)
        .and_then(|wh| wh.sign(&job.event_id, timestamp, body.as_bytes()))
    {
        Ok(sig) => sig,
        Err(e) => {
            return AttemptReport {
                outcome: Outcome::Retryable { retry_after: None },
                status_code: None,
                error: Some(format!("signing_failed: {e}")),
                duration: started.elapsed(),
            }
        }
    };
    let mut request = client
        .post(&dest.url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", &job.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature);
    // The id of the webhook request that brought the event in, for tracing it end to end.
    if let Some(id) = &job.request_id {
        request = request.header("x-request-id", id);
    }
    let sent = request.body(body).send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let code = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connect_failed"
            } else {
                "request_failed"
            };
            return AttemptReport {
                outcome: Outcome::Retryable { retry_after: None },
                status_code: None,
                error: Some(format!("{code}: {}", error_chain(&e))),
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

pub fn classify(status: StatusCode, retry_after: Option<Duration>) -> (Outcome, Option<String>) {
    if status.is_success() {
        return (Outcome::Delivered, None);
    }
    let code = status.as_u16();
    if status == StatusCode::GONE {
        return (
            Outcome::Gone,
            Some("http_410: the destination answered 410 Gone and was disabled".into()),
        );
    }
    let honours_retry_after = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    );
    let detail = if status.is_redirection() {
        format!("http_{code}: redirects are not followed; point the destination at the final URL")
    } else {
        format!(
            "http_{code}: {}",
            status.canonical_reason().unwrap_or("unexpected status")
        )
    };
    (
        Outcome::Retryable {
            retry_after: if honours_retry_after {
                retry_after
            } else {
                None
            },
        },
        Some(detail),
    )
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let s = value?.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(s).ok()?;
    let secs = at.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(secs.max(0) as u64))
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
        assert!(e.unwrap().starts_with("http_302"));
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

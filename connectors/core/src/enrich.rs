//! Thin events: some providers send ids where the helpdesk needs the thing itself (HubSpot's
//! new message carries no text, Smartsupp's events may carry only a contact id). A connector
//! declares which of its events are thin, the one provider call that fills one in, and how to
//! read the answer into the event; the gateway makes the call before the event is forwarded,
//! within the channel's rate limit, retrying temporary failures. Still pure: no I/O here.

use serde_json::{Map, Value};

use crate::event::NormalizedEvent;

/// Everything a connector needs to build the call that fills in one thin event.
#[derive(Debug, Clone)]
pub struct EnrichContext<'a> {
    pub credentials: &'a Map<String, Value>,
    /// The provider API base URL (`providers.<id>.api_base`, or the connector's default).
    pub api_base: &'a str,
}

/// What the provider's answer to the enrichment call means for the event.
#[derive(Debug, Clone, PartialEq)]
pub enum Enrichment {
    /// The event, filled in (its type may change: a thin message becomes `message.received`).
    Enriched(Box<NormalizedEvent>),
    /// Worth asking again later (network, 5xx, throttling).
    Retryable { code: String, message: String },
    /// Will never succeed (the message was deleted, the token revoked): the event goes on as
    /// it is, with this reason.
    Refused { code: String, message: String },
}

impl Enrichment {
    pub fn refused(code: impl Into<String>, message: impl Into<String>) -> Enrichment {
        Enrichment::Refused {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The rule most providers share for a failed call: 408, 429 and 5xx are temporary,
    /// 401/403 mean the credentials no longer open the API, 404/410 that the thing is gone,
    /// anything else a refusal named by its status.
    pub fn from_status(status: u16, provider: &str) -> Enrichment {
        match status {
            408 | 429 | 500..=599 => Enrichment::Retryable {
                code: format!("http_{status}"),
                message: format!("{provider} answered with a temporary error"),
            },
            401 | 403 => Enrichment::refused(
                "access_denied",
                format!("{provider} refused the channel's credentials (HTTP {status})"),
            ),
            404 | 410 => Enrichment::refused(
                "not_found",
                format!("{provider} no longer has it (HTTP {status})"),
            ),
            _ => Enrichment::refused(
                format!("http_{status}"),
                format!("{provider} refused the call"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_temporary_revoked_gone_or_refused() {
        let code = |s| match Enrichment::from_status(s, "Example") {
            Enrichment::Retryable { code, .. } => format!("retry {code}"),
            Enrichment::Refused { code, .. } => format!("refused {code}"),
            Enrichment::Enriched(_) => "enriched".into(),
        };
        assert_eq!(code(503), "retry http_503");
        assert_eq!(code(429), "retry http_429");
        assert_eq!(code(401), "refused access_denied");
        assert_eq!(code(403), "refused access_denied");
        assert_eq!(code(404), "refused not_found");
        assert_eq!(code(400), "refused http_400");
    }
}

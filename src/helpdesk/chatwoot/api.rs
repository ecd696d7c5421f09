//! Calls into Chatwoot's Application API (`api_access_token` header), each answer classified:
//! 2xx is done, network errors, timeouts, 408/425/429 and 5xx are worth retrying, any other 4xx
//! will not change on retry and is permanent, with Chatwoot's own message kept as the reason.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use serde_json::Value;

use crate::domain::secret::ExposeSecret;

use crate::domain::destination::ChatwootSettings;
use crate::forwarder::AttemptError;

/// The largest answer read from Chatwoot; the rest is ignored.
const MAX_ANSWER: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    Retryable {
        status: Option<u16>,
        retry_after: Option<Duration>,
        error: AttemptError,
    },
    /// 404: the object is gone on Chatwoot's side (a deleted conversation, for instance).
    NotFound {
        error: AttemptError,
    },
    Permanent {
        status: u16,
        error: AttemptError,
    },
}

impl CallError {
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Retryable { status, .. } => *status,
            CallError::NotFound { .. } => Some(404),
            CallError::Permanent { status, .. } => Some(*status),
        }
    }

    /// The stable code and detail, e.g. `http_422: create conversation: ...`.
    pub fn error(&self) -> &AttemptError {
        match self {
            CallError::Retryable { error, .. }
            | CallError::NotFound { error }
            | CallError::Permanent { error, .. } => error,
        }
    }
}

pub type CallResult<T> = Result<T, CallError>;

/// One Chatwoot inbox's API.
pub struct Api<'a> {
    pub client: &'a reqwest::Client,
    /// Each call's time limit (the client itself has none).
    pub timeout: Duration,
    pub settings: &'a ChatwootSettings,
    /// Sent as `X-Request-Id`: the request that brought the event in.
    pub request_id: Option<&'a str>,
}

impl Api<'_> {
    fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v1/accounts/{}{path}",
            self.settings.base_url, self.settings.account_id
        )
    }

    async fn send(&self, what: &str, req: reqwest::RequestBuilder) -> CallResult<Value> {
        let mut req = req
            .timeout(self.timeout)
            .header(
                "api_access_token",
                self.settings.api_access_token.expose_secret(),
            )
            .header("accept", "application/json");
        if let Some(id) = self.request_id {
            req = req.header("x-request-id", id);
        }
        let sent = req.send().await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let code = crate::egress::unanswered_code(&e);
                let why = crate::egress::refusal(&e)
                    .map_or_else(|| "Chatwoot could not be reached".into(), |r| r.to_string());
                return Err(CallError::Retryable {
                    status: None,
                    retry_after: None,
                    error: AttemptError::new(code, format!("{what}: {why}")),
                });
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_ANSWER {
                break;
            }
        }
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(parsed);
        }
        let error = AttemptError::new(
            format!("http_{status}"),
            format!("{what}: {}", reason(&parsed, status)),
        );
        Err(match status {
            404 => CallError::NotFound { error },
            408 | 425 | 429 | 500..=599 => CallError::Retryable {
                status: Some(status),
                retry_after: if matches!(status, 429 | 503) {
                    retry_after
                } else {
                    None
                },
                error,
            },
            _ => CallError::Permanent { status, error },
        })
    }

    pub async fn post(&self, what: &str, path: &str, body: &Value) -> CallResult<Value> {
        self.send(what, self.client.post(self.url(path)).json(body))
            .await
    }

    pub async fn post_form(
        &self,
        what: &str,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> CallResult<Value> {
        self.send(what, self.client.post(self.url(path)).multipart(form))
            .await
    }

    pub async fn patch(&self, what: &str, path: &str, body: &Value) -> CallResult<Value> {
        self.send(what, self.client.patch(self.url(path)).json(body))
            .await
    }
}

/// Chatwoot's own words for a refusal (`message`, `error`, `errors`), short.
fn reason(body: &Value, status: u16) -> String {
    let text = ["message", "error", "errors", "description"]
        .iter()
        .find_map(|k| body.get(*k))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("unexpected status")
                .to_string()
        });
    text.chars().take(300).collect()
}

/// An id from a create answer. Chatwoot's shapes differ from its OpenAPI file (contacts come
/// back as `{payload: {contact: {id}}}`), so the known places are tried in turn.
pub fn id_of(answer: &Value) -> Option<u64> {
    [
        "/id",
        "/payload/contact/id",
        "/payload/id",
        "/contact/id",
        "/payload/0/id",
    ]
    .iter()
    .find_map(|p| {
        answer.pointer(p).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_found_in_every_known_answer_shape() {
        assert_eq!(id_of(&json!({"id": 7})), Some(7));
        assert_eq!(
            id_of(&json!({"payload": {"contact": {"id": 501}, "contact_inbox": {}}})),
            Some(501)
        );
        assert_eq!(id_of(&json!({"payload": {"id": 9}})), Some(9));
        assert_eq!(id_of(&json!({"nothing": true})), None);
    }

    #[test]
    fn refusals_keep_chatwoot_s_reason() {
        assert_eq!(
            reason(
                &json!({"message": "Identifier has already been taken"}),
                422
            ),
            "Identifier has already been taken"
        );
        assert_eq!(reason(&Value::Null, 401), "Unauthorized");
    }
}

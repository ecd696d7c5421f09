//! Replies through the LiveChat Agent Chat API v3.6:
//! `POST {base}/v3.6/agent/action/send_event` with `Authorization: Bearer <access_token>` and
//! `{"chat_id", "event": {"type": "message", "text", "visibility": "all"}}`. Only text: LiveChat
//! sends files by a URL its own `upload_file` returned (a multipart upload of the bytes), and
//! quick replies need a rich message template.

use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::ACCESS_TOKEN;

pub const CONTENT_TYPES: &[&str] = &["text"];

/// The reply's text: LiveChat text messages carry no quick replies, and nothing else is sent.
pub fn validate(content: &Value) -> Result<String, ReplyError> {
    OutboundContent::text_only(content, "LiveChat")
}

pub fn next_call(
    ctx: &ReplyContext<'_>,
    content: &Value,
    done: &[Option<String>],
) -> Result<Option<ProviderCall>, ReplyError> {
    let text = validate(content)?;
    if !done.is_empty() {
        return Ok(None);
    }
    let token = ctx
        .credentials
        .get(ACCESS_TOKEN)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ReplyError::new("channel_misconfigured", "the channel has no access_token")
        })?;
    let body = json!({
        "chat_id": ctx.recipient,
        "event": {"type": "message", "text": text, "visibility": "all"},
    });
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/v3.6/agent/action/send_event",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: body.to_string().into_bytes(),
    }))
}

/// LiveChat answers errors as `{"error": {"type", "message"}}` (e.g. `authentication`,
/// `validation`, `chat_inactive`). 429, 408 and 5xx are worth retrying; any other non-2xx will
/// fail again (a bot token expires after 24 hours: a 401 means the channel needs a new one).
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    if (200..300).contains(&status) {
        return CallOutcome::Ok { value: None };
    }
    let described = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let error = v.get("error")?;
        let kind = error.get("type").and_then(Value::as_str);
        let message = error.get("message").and_then(Value::as_str);
        match (kind, message) {
            (Some(k), Some(m)) => Some(format!("{k}: {m}")),
            (k, m) => k.or(m).map(str::to_string),
        }
    });
    let code = format!("http_{status}");
    if status == 429 || status == 408 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: described.unwrap_or_else(|| "LiveChat answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: described.unwrap_or_else(|| "LiveChat refused the call".into()),
        }
    }
}

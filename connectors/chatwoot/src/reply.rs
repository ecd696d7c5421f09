//! Replies through Chatwoot's "create a new message" API:
//! `POST {base}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages` with
//! the `api_access_token` header. `{base}` is the channel's own `base_url` (Chatwoot is often
//! self-hosted), else the configured provider API base.

use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::{account_id, is_base_url, API_ACCESS_TOKEN, BASE_URL};

pub const CONTENT_TYPES: &[&str] = &["text"];

/// The reply's text, when Chatwoot can take it. Only plain text: attachments need a multipart
/// upload of the file itself, and quick replies (`input_select`) show only in the web widget,
/// so they are refused rather than silently dropped.
pub fn validate(content: &Value) -> Result<String, ReplyError> {
    OutboundContent::text_only(content, "Chatwoot")
}

fn misconfigured(what: &str) -> ReplyError {
    ReplyError::new(
        "channel_misconfigured",
        format!("the channel has no usable {what}"),
    )
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
    let base = ctx
        .credentials
        .get(BASE_URL)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or(ctx.api_base);
    if !is_base_url(base) {
        return Err(misconfigured("base_url"));
    }
    let account = account_id(ctx.credentials).ok_or_else(|| misconfigured("account_id"))?;
    let token = ctx
        .credentials
        .get(API_ACCESS_TOKEN)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| misconfigured("api_access_token"))?;
    // The conversation key is Chatwoot's numeric display id; anything else must not reach
    // the URL path.
    if ctx.recipient.is_empty() || !ctx.recipient.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReplyError::new(
            "invalid_recipient",
            "the conversation has no Chatwoot conversation id",
        ));
    }
    let body = json!({
        "content": text,
        "message_type": "outgoing",
        "private": false,
        "content_type": "text",
    });
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/api/v1/accounts/{account}/conversations/{}/messages",
            base.trim_end_matches('/'),
            ctx.recipient
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("api_access_token".into(), token.to_string()),
        ],
        body: body.to_string().into_bytes(),
    }))
}

/// 2xx is sent (the new message's id is kept); 408, 429 and 5xx are worth retrying; any other
/// status is final (401: bad token, 404: no such conversation in this account, 422: refused).
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let id = parsed
            .as_ref()
            .and_then(|v| v.get("id"))
            .and_then(|id| match id {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            });
        return CallOutcome::Ok { value: id };
    }
    // Chatwoot explains itself in `error`, `message` or `errors`.
    let explained = parsed.as_ref().and_then(|v| {
        ["error", "message", "errors"]
            .iter()
            .find_map(|k| v.get(*k))
            .map(|e| match e {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    });
    let code = format!("http_{status}");
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: explained.unwrap_or_else(|| "Chatwoot answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: explained.unwrap_or_else(|| "Chatwoot refused the message".into()),
        }
    }
}

//! Replies through Crisp's REST API as the plugin:
//! `POST {base}/v1/website/{website_id}/conversation/{session_id}/message` with
//! `Authorization: Basic base64(identifier:key)` and `X-Crisp-Tier: plugin`.

use base64::Engine;
use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::{is_uuid, IDENTIFIER, KEY, WEBSITE_ID};

pub const CONTENT_TYPES: &[&str] = &["text"];

/// The reply's text, when Crisp can take it. Only plain text: files need an upload of their
/// own, and Crisp's pickers have no equivalent of quick-reply codes, so quick replies are
/// refused rather than silently dropped.
pub fn validate(content: &Value) -> Result<String, ReplyError> {
    OutboundContent::text_only(content, "Crisp")
}

fn credential<'a>(ctx: &'a ReplyContext<'_>, field: &str) -> Result<&'a str, ReplyError> {
    ctx.credentials
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ReplyError::new(
                "channel_misconfigured",
                format!("the channel has no usable {field}"),
            )
        })
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
    let website = credential(ctx, WEBSITE_ID)?;
    if !is_uuid(website) {
        return Err(ReplyError::new(
            "channel_misconfigured",
            "the channel's website_id is not a Crisp website id",
        ));
    }
    let identifier = credential(ctx, IDENTIFIER)?;
    let key = credential(ctx, KEY)?;
    // The session id comes from normalize, which admits only these characters; checked again
    // because it goes into the URL path.
    let session = ctx.recipient;
    if session.is_empty()
        || !session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ReplyError::new(
            "invalid_recipient",
            "the conversation has no Crisp session id",
        ));
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{identifier}:{key}"));
    let body = json!({"type": "text", "content": text, "from": "operator", "origin": "chat"});
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/v1/website/{website}/conversation/{session}/message",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Basic {basic}")),
            ("x-crisp-tier".into(), "plugin".into()),
        ],
        body: body.to_string().into_bytes(),
    }))
}

/// Crisp answers `{"error": bool, "reason": "...", "data": {...}}`. 2xx without `error: true`
/// is sent (the message fingerprint is kept); 408, 429 and 5xx are worth retrying; any other
/// status is final (401/403: bad token or plugin not installed, 404: no such session).
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k));
    let reason = field("reason")
        .and_then(Value::as_str)
        .map(|r| r.chars().take(200).collect::<String>());
    if (200..300).contains(&status) {
        if field("error").and_then(Value::as_bool) == Some(true) {
            return CallOutcome::Permanent {
                code: "crisp_error".into(),
                message: reason.unwrap_or_else(|| "Crisp answered with an error".into()),
            };
        }
        let fingerprint = field("data")
            .and_then(|d| d.get("fingerprint"))
            .and_then(|f| match f {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            });
        return CallOutcome::Ok { value: fingerprint };
    }
    let code = format!("http_{status}");
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: reason.unwrap_or_else(|| "Crisp answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: reason.unwrap_or_else(|| "Crisp refused the message".into()),
        }
    }
}

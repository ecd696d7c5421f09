//! Replies through Smartsupp's REST API:
//! `POST {base}/v2/conversations/{conversation_id}/messages` with `Authorization: Bearer
//! <api_token>` and `{"content": {"type": "text", "text": ...}, "agent_id": ...}` (`agent_id`
//! when the channel names one; Smartsupp otherwise uses the token's default sender).

use omnigate_connector_core::fields;
use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Map, Value};

use crate::config::{secret, AGENT_ID, API_TOKEN};

pub const CONTENT_TYPES: &[&str] = &["text"];
/// Smartsupp publishes no message size limit; its chat box takes messages of this size, and a
/// longer reply is refused before it is queued rather than cut by the provider.
pub const MAX_TEXT_CHARS: usize = 10_000;

pub fn validate(content: &Value) -> Result<String, ReplyError> {
    let text = OutboundContent::text_only(content, "Smartsupp")?;
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ReplyError::new(
            "text_too_long",
            format!("Smartsupp messages are at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text)
}

fn misconfigured(field: &str) -> ReplyError {
    ReplyError::new(
        "channel_misconfigured",
        format!("the channel has no usable {field}"),
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
    let token = secret(ctx.credentials, API_TOKEN).ok_or_else(|| misconfigured(API_TOKEN))?;
    // The conversation id goes into the URL path: only what Smartsupp ids are made of.
    let conversation = ctx.recipient;
    if conversation.is_empty()
        || conversation.len() > fields::MAX_ID_LEN
        || !conversation
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ReplyError::new(
            "invalid_recipient",
            "the conversation has no Smartsupp conversation id",
        ));
    }
    let mut body = Map::new();
    body.insert("content".into(), json!({"type": "text", "text": text}));
    if let Some(agent) = fields::id(ctx.credentials.get(AGENT_ID)) {
        body.insert(AGENT_ID.into(), Value::String(agent));
    }
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/v2/conversations/{conversation}/messages",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: Value::Object(body).to_string().into_bytes(),
    }))
}

/// 2xx is sent (the created message's `id` is kept, so its echo can be matched); 408, 429 and
/// 5xx are worth retrying; anything else is final (401: bad token, 404: no such conversation,
/// 422: `invalid_parameters`, e.g. an unknown agent).
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let id = parsed.as_ref().and_then(|v| fields::id(v.get("id")));
        return CallOutcome::Ok { value: id };
    }
    let described = parsed.as_ref().and_then(|v| {
        let code = fields::text(v.get("code"));
        let message = fields::text(v.get("message"));
        match (code, message) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (c, m) => c.or(m),
        }
    });
    let described = described.map(|d| d.chars().take(200).collect::<String>());
    let code = format!("http_{status}");
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: described
                .unwrap_or_else(|| "Smartsupp answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: described.unwrap_or_else(|| "Smartsupp refused the message".into()),
        }
    }
}

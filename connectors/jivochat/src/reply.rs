//! Replies as the bot: `POST {base}/webhooks/{provider_id}/{bot_token}` with a `BOT_MESSAGE`
//! event `{id, event, client_id, chat_id, message: {type: "TEXT", text, timestamp}}`. The
//! endpoint is Jivo's; the body's shape comes from integrations, as Jivo's published examples
//! stop before it (see README.md).

use std::time::{SystemTime, UNIX_EPOCH};

use omnigate_connector_core::signature::{hmac_hex, Hash};
use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::{path_value, BOT_TOKEN, PROVIDER_ID};

pub const CONTENT_TYPES: &[&str] = &["text"];
/// Jivo publishes no limit; its widget takes messages of this size, and a longer reply is
/// refused before it is queued rather than cut by the provider.
pub const MAX_TEXT_CHARS: usize = 4_000;

pub fn validate(content: &Value) -> Result<String, ReplyError> {
    let text = OutboundContent::text_only(content, "JivoChat")?;
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ReplyError::new(
            "text_too_long",
            format!("JivoChat messages are at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// A fresh event id in UUID form (Jivo's ids are UUIDs): an HMAC of the reply under the
/// current time, so two equal replies still get two ids.
fn event_id(recipient: &str, text: &str, nanos: u128) -> String {
    let h = hmac_hex(
        Hash::Sha256,
        &nanos.to_be_bytes(),
        &[recipient.as_bytes(), b"\n", text.as_bytes()],
    );
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
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
    let misconfigured = |field: &str| {
        ReplyError::new(
            "channel_misconfigured",
            format!("the channel has no usable {field}"),
        )
    };
    let provider =
        path_value(ctx.credentials, PROVIDER_ID).ok_or_else(|| misconfigured(PROVIDER_ID))?;
    let token = path_value(ctx.credentials, BOT_TOKEN).ok_or_else(|| misconfigured(BOT_TOKEN))?;
    let Some((client_id, chat_id)) = ctx
        .recipient
        .split_once(':')
        .filter(|(client, chat)| !client.is_empty() && !chat.is_empty())
    else {
        return Err(ReplyError::new(
            "invalid_recipient",
            "the conversation has no Jivo client and chat id",
        ));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let body = json!({
        "id": event_id(ctx.recipient, &text, now.as_nanos()),
        "event": "BOT_MESSAGE",
        "client_id": client_id,
        "chat_id": chat_id,
        "message": {"type": "TEXT", "text": text, "timestamp": now.as_secs()},
    });
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/webhooks/{provider}/{token}",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }))
}

/// 2xx is sent; 408, 429 and 5xx are worth retrying (Jivo lists 429, 500, 502 and 503); any
/// other status is final (401/403: wrong provider id or token, 404: unknown chat).
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    if (200..300).contains(&status) {
        return CallOutcome::Ok { value: None };
    }
    let described = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let e = v.get("error").unwrap_or(&v);
        e.get("message")
            .or_else(|| e.get("code"))
            .and_then(Value::as_str)
            .map(|m| m.chars().take(200).collect::<String>())
    });
    let code = format!("http_{status}");
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: described.unwrap_or_else(|| "Jivo answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: described.unwrap_or_else(|| "Jivo refused the message".into()),
        }
    }
}

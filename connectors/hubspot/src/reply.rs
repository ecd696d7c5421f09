//! Replies through HubSpot's Conversations API:
//! `POST {base}/conversations/v3/conversations/threads/{threadId}/messages` with
//! `Authorization: Bearer <access_token>` and a `MESSAGE` from the channel's sender on its
//! channel and channel account.

use omnigate_connector_core::fields;
use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::{value, ACCESS_TOKEN, CHANNEL_ACCOUNT_ID, CHANNEL_ID, SENDER_ACTOR_ID};

pub const CONTENT_TYPES: &[&str] = &["text"];
/// HubSpot's live chat truncates longer messages (`truncationStatus`); a longer reply is
/// refused before it is queued instead.
pub const MAX_TEXT_CHARS: usize = 65_536;

pub fn validate(content: &Value) -> Result<String, ReplyError> {
    let text = OutboundContent::text_only(content, "HubSpot")?;
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ReplyError::new(
            "text_too_long",
            format!("HubSpot messages are at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text)
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
    let need = |field: &str| {
        value(ctx.credentials, field).ok_or_else(|| {
            ReplyError::new(
                "channel_misconfigured",
                format!("the channel has no {field}, which HubSpot needs to send a reply"),
            )
        })
    };
    let token = need(ACCESS_TOKEN)?;
    let sender = need(SENDER_ACTOR_ID)?;
    let channel = need(CHANNEL_ID)?;
    let account = need(CHANNEL_ACCOUNT_ID)?;
    // Thread ids are numbers; the key goes into the URL path.
    let thread = ctx.recipient;
    if thread.is_empty() || thread.len() > 32 || !thread.chars().all(|c| c.is_ascii_digit()) {
        return Err(ReplyError::new(
            "invalid_recipient",
            "the conversation has no HubSpot thread id",
        ));
    }
    let body = json!({
        "type": "MESSAGE",
        "text": text,
        "senderActorId": sender,
        "channelId": channel,
        "channelAccountId": account,
        // The thread's visitor is the recipient: HubSpot fills it in for a live-chat thread.
        "recipients": [],
        "attachments": [],
    });
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/conversations/v3/conversations/threads/{thread}/messages",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: body.to_string().into_bytes(),
    }))
}

/// 2xx is sent (the created message's `id` is kept); 408, 429 and 5xx are worth retrying
/// (HubSpot's 429 is its per-app rate limit); anything else is final, with HubSpot's
/// `category: message`.
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        return CallOutcome::Ok {
            value: parsed.as_ref().and_then(|v| fields::id(v.get("id"))),
        };
    }
    let described = parsed.as_ref().and_then(|v| {
        match (
            fields::text(v.get("category")),
            fields::text(v.get("message")),
        ) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (c, m) => c.or(m),
        }
    });
    let described = described.map(|d| d.chars().take(200).collect::<String>());
    let code = format!("http_{status}");
    if status == 408 || status == 429 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: described.unwrap_or_else(|| "HubSpot answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: described.unwrap_or_else(|| "HubSpot refused the message".into()),
        }
    }
}

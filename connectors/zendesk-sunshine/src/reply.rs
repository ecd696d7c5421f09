//! Replies through the Sunshine Conversations API v2: messages with
//! `POST {base}/v2/apps/{app_id}/conversations/{conversation_id}/messages` and typing indicators
//! with `POST .../activity`, authenticated with Basic `base64(key_id:key_secret)`, always as the
//! business (`author.type: "business"`). The base is `https://api.smooch.io` (US) by default;
//! `https://api.eu-1.smooch.io` or a Zendesk subdomain's `https://{subdomain}.zendesk.com/sc`
//! are configured as `providers.zendesk_sunshine.api_base`.

use base64::Engine;
use omnigate_connector_core::{
    CallOutcome, OutboundContent, ProviderCall, QuickReply, ReplyContext, ReplyError,
};
use serde_json::{json, Value};

use crate::config::{APP_ID, KEY_ID, KEY_SECRET};

pub const CONTENT_TYPES: &[&str] = &["text", "image", "typing_on", "typing_off"];

/// Sunshine's `text` limit (`maxLength: 4096` in the API spec).
const TEXT_MAX: usize = 4096;
/// Sunshine accepts any number of reply actions, but channels render few; Messenger caps quick
/// replies at 13, the smallest common limit.
const QUICK_REPLIES_MAX: usize = 13;

fn too_long(code: &'static str, what: &str, max: usize, s: &str) -> Result<(), ReplyError> {
    let n = s.chars().count();
    if n > max {
        return Err(ReplyError::new(
            code,
            format!("{what} is {n} characters; Sunshine allows at most {max}"),
        ));
    }
    Ok(())
}

fn check_quick_replies(items: &[QuickReply]) -> Result<(), ReplyError> {
    if items.len() > QUICK_REPLIES_MAX {
        return Err(ReplyError::new(
            "too_many_quick_replies",
            format!("{} quick replies; at most {QUICK_REPLIES_MAX}", items.len()),
        ));
    }
    for q in items {
        if q.title.trim().is_empty() || q.code.is_empty() {
            return Err(ReplyError::new(
                "invalid_content",
                "a quick reply needs a title and a code",
            ));
        }
    }
    Ok(())
}

pub fn validate(content: &Value) -> Result<OutboundContent, ReplyError> {
    let parsed = OutboundContent::parse(content)?;
    match &parsed {
        OutboundContent::Text {
            text,
            quick_replies,
        } => {
            if text.trim().is_empty() {
                return Err(ReplyError::new("empty_text", "text must not be empty"));
            }
            too_long("text_too_long", "the text", TEXT_MAX, text)?;
            check_quick_replies(quick_replies)?;
        }
        OutboundContent::Image {
            url,
            image_id,
            upload,
            quick_replies,
        } => {
            // Sunshine fetches `mediaUrl` itself; its attachment upload takes multipart bytes,
            // which a relayed reply does not carry.
            let ok = matches!(url, Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && !u.chars().any(char::is_whitespace));
            if !ok || image_id.is_some() || *upload {
                return Err(ReplyError::new(
                    "invalid_content",
                    "a Sunshine image is sent by an http(s) url (no image_id, no upload)",
                ));
            }
            check_quick_replies(quick_replies)?;
        }
        OutboundContent::TypingOn | OutboundContent::TypingOff => {}
        other => {
            return Err(ReplyError::new(
                "content_type_not_supported",
                format!(
                    "Sunshine replies take {}, not {}",
                    CONTENT_TYPES.join(", "),
                    other.kind()
                ),
            ))
        }
    }
    Ok(parsed)
}

fn actions(items: &[QuickReply]) -> Value {
    items
        .iter()
        .map(|q| json!({"type": "reply", "text": q.title, "payload": q.code}))
        .collect()
}

/// The request body and the path below the conversation.
fn request(content: &OutboundContent) -> (&'static str, Value) {
    let business = json!({"type": "business"});
    let with_actions = |mut c: Value, items: &[QuickReply]| {
        if !items.is_empty() {
            c["actions"] = actions(items);
        }
        c
    };
    match content {
        OutboundContent::Text {
            text,
            quick_replies,
        } => (
            "messages",
            json!({"author": business, "content": with_actions(json!({"type": "text", "text": text}), quick_replies)}),
        ),
        OutboundContent::Image {
            url, quick_replies, ..
        } => (
            "messages",
            json!({"author": business, "content": with_actions(json!({"type": "image", "mediaUrl": url}), quick_replies)}),
        ),
        OutboundContent::TypingOff => (
            "activity",
            json!({"author": business, "type": "typing:stop"}),
        ),
        // Only typing_on is left: `validate` refused every other type.
        _ => (
            "activity",
            json!({"author": business, "type": "typing:start"}),
        ),
    }
}

/// Percent-encodes one path segment: the conversation id comes from a webhook, so it must not be
/// able to change the path.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn credential<'a>(ctx: &'a ReplyContext<'_>, field: &str) -> Result<&'a str, ReplyError> {
    ctx.credentials
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ReplyError::new(
                "channel_misconfigured",
                format!("the channel has no {field}"),
            )
        })
}

pub fn next_call(
    ctx: &ReplyContext<'_>,
    content: &Value,
    done: &[Option<String>],
) -> Result<Option<ProviderCall>, ReplyError> {
    let parsed = validate(content)?;
    if !done.is_empty() {
        return Ok(None);
    }
    let app_id = credential(ctx, APP_ID)?;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        credential(ctx, KEY_ID)?,
        credential(ctx, KEY_SECRET)?
    ));
    let (path, body) = request(&parsed);
    Ok(Some(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!(
            "{}/v2/apps/{}/conversations/{}/{path}",
            ctx.api_base.trim_end_matches('/'),
            segment(app_id),
            segment(ctx.recipient)
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Basic {basic}")),
        ],
        body: body.to_string().into_bytes(),
    }))
}

/// Sunshine answers errors as `{"errors": [{"code", "title"}]}`; the first one becomes the
/// message. 429, 408 and 5xx are worth retrying; any other non-2xx will fail again.
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    if (200..300).contains(&status) {
        return CallOutcome::Ok { value: None };
    }
    let described = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let first = v.get("errors")?.as_array()?.first()?.clone();
        let title = first.get("title").and_then(Value::as_str);
        let code = first.get("code").and_then(Value::as_str);
        match (code, title) {
            (Some(c), Some(t)) => Some(format!("{c}: {t}")),
            (c, t) => c.or(t).map(str::to_string),
        }
    });
    let code = format!("http_{status}");
    if status == 429 || status == 408 || status >= 500 {
        CallOutcome::Retryable {
            code,
            message: described.unwrap_or_else(|| "Sunshine answered with a temporary error".into()),
        }
    } else {
        CallOutcome::Permanent {
            code,
            message: described.unwrap_or_else(|| "Sunshine refused the call".into()),
        }
    }
}

//! Replies through Naver's send API (`POST {base}/chatbot/v1/event`) and image upload API
//! (`POST {base}/chatbot/v1/imageUpload`), checked against the documented limits first
//! (`limits`).

mod limits;

pub use limits::validate;

use std::time::Duration;

use omnigate_connector_core::{
    Button, CallOutcome, Card, OutboundContent, ProviderCall, QuickReply, RateLimit, ReplyContext,
    ReplyError,
};
use serde_json::{json, Value};

pub const CONTENT_TYPES: &[&str] = &[
    "text",
    "image",
    "cards",
    "typing_on",
    "typing_off",
    "handover_pass",
    "handover_take",
];

/// Naver may block an account that sends 30 or more requests in 3 seconds.
pub const RATE_LIMIT: RateLimit = RateLimit {
    max_calls: 29,
    window: Duration::from_secs(3),
};

fn quick_reply_json(items: &[QuickReply]) -> Option<Value> {
    (!items.is_empty()).then(|| {
        let list: Vec<Value> = items
            .iter()
            .map(|q| json!({"type": "TEXT", "data": {"title": q.title, "code": q.code}}))
            .collect();
        json!({"buttonList": list})
    })
}

fn button_json(b: &Button) -> Value {
    match b {
        Button::Text { title, code } => {
            json!({"type": "TEXT", "data": {"title": title, "code": code}})
        }
        Button::Link {
            title,
            url,
            mobile_url,
        } => {
            let mut data = json!({"title": title, "url": url});
            if let Some(m) = mobile_url {
                data["mobileUrl"] = json!(m);
            }
            json!({"type": "LINK", "data": data})
        }
    }
}

fn card_json(c: &Card) -> Value {
    let mut card = json!({});
    if let Some(t) = &c.title {
        card["title"] = json!(t);
    }
    if let Some(d) = &c.description {
        card["description"] = json!(d);
    }
    if let Some(u) = &c.image_url {
        card["image"] = json!({"imageUrl": u});
    }
    if !c.buttons.is_empty() {
        card["buttonList"] = Value::Array(c.buttons.iter().map(button_json).collect());
    }
    card
}

fn with_quick_replies(mut content: Value, items: &[QuickReply]) -> Value {
    if let Some(q) = quick_reply_json(items) {
        content["quickReply"] = q;
    }
    content
}

/// The send API event for `content`; `image_id` is the upload step's result when there was one.
fn event(recipient: &str, content: &OutboundContent, image_id: Option<&str>) -> Value {
    let send = |key: &str, body: Value| json!({"event": "send", "user": recipient, key: body});
    match content {
        OutboundContent::Text {
            text,
            quick_replies,
        } => send(
            "textContent",
            with_quick_replies(json!({"text": text}), quick_replies),
        ),
        OutboundContent::Image {
            url,
            image_id: given,
            quick_replies,
            ..
        } => {
            let image = match (image_id.or(given.as_deref()), url) {
                (Some(id), _) => json!({"imageId": id}),
                (None, Some(u)) => json!({"imageUrl": u}),
                (None, None) => json!({}),
            };
            send("imageContent", with_quick_replies(image, quick_replies))
        }
        OutboundContent::Cards {
            cards,
            quick_replies,
        } => {
            let list: Vec<Value> = cards.iter().map(card_json).collect();
            send(
                "compositeContent",
                with_quick_replies(json!({"compositeList": list}), quick_replies),
            )
        }
        OutboundContent::TypingOn => {
            json!({"event": "action", "user": recipient, "options": {"action": "typingOn"}})
        }
        OutboundContent::TypingOff => {
            json!({"event": "action", "user": recipient, "options": {"action": "typingOff"}})
        }
        // No `partner` field: Naver answers 03 when it is sent.
        OutboundContent::HandoverPass => {
            json!({"event": "handover", "user": recipient, "options": {"control": "passThread", "targetId": 1}})
        }
        OutboundContent::HandoverTake => {
            json!({"event": "handover", "user": recipient, "options": {"control": "takeThread"}})
        }
    }
}

fn call(ctx: &ReplyContext<'_>, path: &str, body: &Value) -> Result<ProviderCall, ReplyError> {
    let key = ctx
        .credentials
        .get("send_api_key")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ReplyError::new("channel_misconfigured", "the channel has no send_api_key")
        })?;
    Ok(ProviderCall {
        method: omnigate_connector_core::Method::Post,
        url: format!("{}{path}", ctx.api_base.trim_end_matches('/')),
        headers: vec![
            (
                "content-type".into(),
                "application/json;charset=UTF-8".into(),
            ),
            // The key as issued: no "Bearer" prefix.
            ("authorization".into(), key.to_string()),
        ],
        body: body.to_string().into_bytes(),
    })
}

pub fn next_call(
    ctx: &ReplyContext<'_>,
    content: &Value,
    done: &[Option<String>],
) -> Result<Option<ProviderCall>, ReplyError> {
    let parsed = validate(content)?;
    let uploads = matches!(
        &parsed,
        OutboundContent::Image {
            upload: true,
            url: Some(_),
            ..
        }
    );
    match (uploads, done.len()) {
        (true, 0) => {
            let url = match &parsed {
                OutboundContent::Image { url: Some(u), .. } => u.clone(),
                _ => String::new(),
            };
            call(ctx, "/chatbot/v1/imageUpload", &json!({"imageUrl": url})).map(Some)
        }
        (true, 1) => {
            let id = done[0].as_deref();
            call(ctx, "/chatbot/v1/event", &event(ctx.recipient, &parsed, id)).map(Some)
        }
        (false, 0) => call(
            ctx,
            "/chatbot/v1/event",
            &event(ctx.recipient, &parsed, None),
        )
        .map(Some),
        _ => Ok(None),
    }
}

/// Naver answers HTTP 200 for errors too: `success` and `resultCode` decide.
pub fn interpret(status: u16, body: &[u8]) -> CallOutcome {
    if status == 429 || status == 408 || status >= 500 {
        return CallOutcome::Retryable {
            code: format!("http_{status}"),
            message: "Naver answered with a temporary error".into(),
        };
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).cloned();
    if !(200..300).contains(&status) {
        return CallOutcome::Permanent {
            code: format!("http_{status}"),
            message: field("resultMessage")
                .and_then(|m| m.as_str().map(str::to_string))
                .unwrap_or_else(|| "Naver refused the call".into()),
        };
    }
    let success = field("success").and_then(|v| v.as_bool());
    let code = field("resultCode").and_then(|v| v.as_str().map(str::to_string));
    let message = field("resultMessage")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    match (success, code.as_deref()) {
        (Some(true), Some("00")) => CallOutcome::Ok {
            value: field("imageId").and_then(|v| v.as_str().map(str::to_string)),
        },
        // The image download timed out on Naver's side: worth another try.
        (_, Some("IMG-02")) => CallOutcome::Retryable { code: "naver_IMG-02".into(), message },
        (Some(_), Some(c)) => CallOutcome::Permanent { code: format!("naver_{c}"), message },
        _ => CallOutcome::Permanent {
            code: "unexpected_response".into(),
            message: "Naver's answer has no success/resultCode; the message may or may not have been sent".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn ctx(creds: &Map<String, Value>) -> ReplyContext<'_> {
        ReplyContext {
            credentials: creds,
            api_base: "http://naver.test/",
            recipient: "u1",
        }
    }

    fn creds() -> Map<String, Value> {
        json!({"account_id": "wc8b1i", "send_api_key": "ct_key"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn a_text_reply_is_one_send_call_with_the_key_as_issued() {
        let c = creds();
        let call = next_call(&ctx(&c), &json!({"type": "text", "text": "hi"}), &[])
            .unwrap()
            .unwrap();
        assert_eq!(call.url, "http://naver.test/chatbot/v1/event");
        assert!(call
            .headers
            .contains(&("authorization".into(), "ct_key".into())));
        let body: Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(
            body,
            json!({"event": "send", "user": "u1", "textContent": {"text": "hi"}})
        );
        assert_eq!(
            next_call(&ctx(&c), &json!({"type": "text", "text": "hi"}), &[None]).unwrap(),
            None
        );
    }

    #[test]
    fn an_uploaded_image_is_sent_by_the_id_naver_returned() {
        let c = creds();
        let content = json!({"type": "image", "url": "https://x.test/a.png", "upload": true});
        let first = next_call(&ctx(&c), &content, &[]).unwrap().unwrap();
        assert_eq!(first.url, "http://naver.test/chatbot/v1/imageUpload");
        let second = next_call(&ctx(&c), &content, &[Some("img-1".into())])
            .unwrap()
            .unwrap();
        let body: Value = serde_json::from_slice(&second.body).unwrap();
        assert_eq!(body["imageContent"], json!({"imageId": "img-1"}));
        assert_eq!(
            next_call(&ctx(&c), &content, &[Some("img-1".into()), None]).unwrap(),
            None
        );
    }

    #[test]
    fn limits_are_refused_with_codes_naming_them() {
        let cases = [
            (
                json!({"type": "text", "text": "x".repeat(10_001)}),
                "text_too_long",
            ),
            (json!({"type": "text", "text": "  "}), "empty_text"),
            (
                json!({"type": "text", "text": "x", "quick_replies": [{"title": "eleven chars", "code": "c"}]}),
                "quick_reply_title_too_long",
            ),
            (
                json!({"type": "image", "url": "https://x.test/a.webp"}),
                "image_format_not_supported",
            ),
            (
                json!({"type": "image", "url": "ftp://x.test/a.png"}),
                "invalid_url",
            ),
            (json!({"type": "cards", "cards": []}), "too_many_cards"),
            (
                json!({"type": "cards", "cards": vec![json!({"title": "t"}); 11]}),
                "too_many_cards",
            ),
            (
                json!({"type": "cards", "cards": [{"title": "t".repeat(201)}]}),
                "card_title_too_long",
            ),
            (
                json!({"type": "cards", "cards": [{"title": "t", "buttons": vec![json!({"type": "text", "title": "b", "code": "c"}); 11]}]}),
                "too_many_buttons",
            ),
            (
                json!({"type": "cards", "cards": [{"title": "t", "buttons": [{"type": "text", "title": "nineteen characters", "code": "c"}]}]}),
                "button_title_too_long",
            ),
            (json!({"type": "cards", "cards": [{}]}), "empty_card"),
            (json!({"type": "video"}), "invalid_content"),
        ];
        for (content, code) in cases {
            assert_eq!(validate(&content).unwrap_err().code, code, "{content}");
        }
    }

    #[test]
    fn answers_are_read_by_success_and_result_code() {
        assert_eq!(
            interpret(200, br#"{"success":true,"resultCode":"00"}"#),
            CallOutcome::Ok { value: None }
        );
        assert_eq!(
            interpret(
                200,
                br#"{"success":true,"resultCode":"00","imageId":"abc"}"#
            ),
            CallOutcome::Ok {
                value: Some("abc".into())
            }
        );
        assert!(
            matches!(interpret(200, br#"{"success":false,"resultCode":"01","resultMessage":"no"}"#), CallOutcome::Permanent { code, .. } if code == "naver_01")
        );
        assert!(matches!(interpret(503, b""), CallOutcome::Retryable { .. }));
        assert!(
            matches!(interpret(200, b"<html>"), CallOutcome::Permanent { code, .. } if code == "unexpected_response")
        );
        assert!(matches!(
            interpret(200, br#"{"success":false,"resultCode":"IMG-02"}"#),
            CallOutcome::Retryable { .. }
        ));
    }
}

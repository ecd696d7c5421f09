//! The reply-rendering property: whatever the helpdesk's `content` and whatever the provider
//! answers, a connector never panics, finishes in a few calls, keeps every call inside the
//! configured API base with well-formed headers, and reads any answer.

use omnigate_connector_core::{CallOutcome, Connector, ReplyContext};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

use crate::inputs::json_value;

/// The API base every target renders against.
pub const API_BASE: &str = "https://provider.test/api";

/// Text of every length that matters: empty, short, around the providers' limits, long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ".{0,40}",
        1 => (0usize..6000, select(vec!['a', 'é', '😀', '\n', '\u{0}'])).prop_map(|(n, c)| c.to_string().repeat(n)),
        1 => Just(String::new()),
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://cdn.example.com/a.png".to_string()),
        Just("https://cdn.example.com/a.gif".to_string()),
        Just("http://127.0.0.1/x.jpg".to_string()),
        Just("javascript:alert(1)".to_string()),
        ".{0,60}",
    ]
}

fn quick_replies() -> impl Strategy<Value = Value> {
    prop::collection::vec((text(), text()), 0..14).prop_map(|qs| {
        Value::Array(
            qs.into_iter()
                .map(|(t, c)| json!({"title": t, "code": c}))
                .collect(),
        )
    })
}

fn button() -> impl Strategy<Value = Value> {
    prop_oneof![
        (text(), text()).prop_map(|(t, c)| json!({"type": "text", "title": t, "code": c})),
        (text(), url()).prop_map(|(t, u)| json!({"type": "link", "title": t, "url": u})),
        json_value(),
    ]
}

fn card() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(url()),
        prop::collection::vec(button(), 0..6),
    )
        .prop_map(|(t, d, i, b)| {
            let mut c = json!({"buttons": b});
            if let Some(t) = t {
                c["title"] = json!(t);
            }
            if let Some(d) = d {
                c["description"] = json!(d);
            }
            if let Some(i) = i {
                c["image_url"] = json!(i);
            }
            c
        })
}

/// A reply's `content`: every documented shape at and past its limits, and anything else.
pub fn content() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (text(), quick_replies()).prop_map(|(t, q)| json!({"type": "text", "text": t, "quick_replies": q})),
        2 => (proptest::option::of(url()), proptest::option::of(".{0,20}"), any::<bool>(), quick_replies())
            .prop_map(|(u, id, up, q)| {
                let mut c = json!({"type": "image", "upload": up, "quick_replies": q});
                if let Some(u) = u { c["url"] = json!(u); }
                if let Some(id) = id { c["image_id"] = json!(id); }
                c
            }),
        2 => (prop::collection::vec(card(), 0..12), quick_replies())
            .prop_map(|(cards, q)| json!({"type": "cards", "cards": cards, "quick_replies": q})),
        1 => select(vec!["typing_on", "typing_off", "handover_pass", "handover_take"])
            .prop_map(|t| json!({"type": t})),
        2 => json_value(),
    ]
}

/// The provider's key of the conversation: it comes from provider webhooks, so an attacker
/// may choose it.
pub fn recipient() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("al-2eGuGr5WQOnco1_V-FQ".to_string()),
        Just("../../admin?x=1#".to_string()),
        Just("a/b/../../c".to_string()),
        Just("%2e%2e%2f".to_string()),
        Just("user\r\nx-injected: 1".to_string()),
        Just("@evil.example".to_string()),
        Just("//evil.example/".to_string()),
        ".{0,40}",
    ]
}

/// What a provider answers.
pub fn answer() -> impl Strategy<Value = (u16, Vec<u8>)> {
    (
        prop_oneof![
            Just(200u16),
            Just(201),
            Just(204),
            Just(400),
            Just(401),
            Just(404),
            Just(429),
            Just(500),
            Just(503),
            100u16..600
        ],
        prop_oneof![
            json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
            Just(br#"{"success":true,"resultCode":"00"}"#.to_vec()),
            Just(br#"{"success":false,"resultCode":"02","resultMessage":"x"}"#.to_vec()),
            Just(br#"{"error":"0","reason":"ok","data":{"fingerprint":1}}"#.to_vec()),
            Just(br#"{"messages":[{"id":"m1"}]}"#.to_vec()),
            prop::collection::vec(any::<u8>(), 0..256),
        ],
    )
}

/// Renders a reply to completion and reads an answer at every step.
pub fn check(
    connector: &dyn Connector,
    credentials: &Map<String, Value>,
    recipient: &str,
    content: &Value,
    answer: &(u16, Vec<u8>),
) -> Result<(), String> {
    let _ = connector.validate_reply(content);
    let ctx = ReplyContext {
        credentials,
        api_base: API_BASE,
        recipient,
    };
    let base = url::Url::parse(API_BASE).map_err(|e| e.to_string())?;
    let content_size = serde_json::to_vec(content).map_or(0, |b| b.len());
    let mut done: Vec<Option<String>> = Vec::new();
    for step in 0..16 {
        let call = match connector.next_reply_call(&ctx, content, &done) {
            Ok(Some(call)) => call,
            Ok(None) => return Ok(()),
            Err(e) if e.code.is_empty() => return Err("a refusal without a code".into()),
            Err(_) => return Ok(()),
        };
        let parsed = url::Url::parse(&call.url).map_err(|e| format!("{}: {e}", call.url))?;
        if parsed.host_str() != base.host_str() || !parsed.path().starts_with(base.path()) {
            return Err(format!("the call left the API base: {}", call.url));
        }
        for (k, v) in &call.headers {
            if k.is_empty() || [k, v].iter().any(|s| s.contains(['\r', '\n', '\0'])) {
                return Err(format!("a malformed header: {k:?}: {v:?}"));
            }
        }
        if call.body.len() > 8 * content_size + 16 * 1024 {
            return Err(format!(
                "a {}-byte call for {content_size} bytes of content",
                call.body.len()
            ));
        }
        let (status, body) = answer;
        let outcome = connector.interpret_reply(step, *status, body);
        if *status >= 500 {
            if let CallOutcome::Ok { .. } = outcome {
                return Err(format!("a {status} answer was taken as success"));
            }
        }
        // The rendering goes on as though the call succeeded, with a value a later step may use.
        done.push(Some(format!("id-{step}")));
    }
    Err("the reply was not finished after 16 calls".into())
}

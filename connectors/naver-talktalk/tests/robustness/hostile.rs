//! Hostile input: no body, however malformed, panics or yields anything but one event, and
//! what cannot be understood is `provider.unrecognized`.

use omnigate_connector_core::{Content, EventType, NormalizedEvent};
use serde_json::{json, Value};

use super::drift::parsed_fixture;
use super::*;

fn nested(depth: usize, open: &str, close: &str, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

fn assert_one_unrecognized(body: &[u8]) -> NormalizedEvent {
    let e = normalize_bytes(body);
    assert_eq!(
        e.event_type,
        EventType::ProviderUnrecognized,
        "{:?}",
        String::from_utf8_lossy(&body[..body.len().min(80)])
    );
    assert!(e.provider_event.detail["reason"].is_string());
    assert!(e.provider_event.kind.chars().count() <= 64);
    e
}

#[test]
fn bodies_that_are_not_a_json_object_are_unrecognized() {
    let deep_array = nested(200, "[", "]", "");
    let deep_object = nested(200, "{\"a\":", "}", "1");
    for body in [
        &b""[..],
        b"   ",
        b"null",
        b"42",
        b"-0.5e999",
        b"\"send\"",
        b"true",
        b"[]",
        b"[{\"event\":\"send\",\"user\":\"u1\",\"textContent\":{\"text\":\"hi\"}}]",
        b"{\"event\": \"send\", trunc",
        b"\xff\xfe\xfd",
        b"{\"event\":\"send\",\"user\":\"u1\",\"textContent\":{\"text\":\"\xc3\x28\"}}",
        b"{\"event\":\"send\",\"user\":\"u1\",\"textContent\":{\"text\":\"\\ud800\"}}",
        b"\xef\xbb\xbf{\"event\":\"leave\",\"user\":\"u1\"}",
        deep_array.as_bytes(),
        deep_object.as_bytes(),
    ] {
        let e = assert_one_unrecognized(body);
        assert_eq!(e.conversation_ref, None);
    }
}

#[test]
fn nesting_beyond_the_parsers_limit_inside_a_valid_event_is_unrecognized_and_below_it_ignored() {
    let too_deep = format!(
        r#"{{"event":"send","user":"u1","textContent":{{"text":"hi"}},"deep":{}}}"#,
        nested(200, "[", "]", "")
    );
    assert_one_unrecognized(too_deep.as_bytes());
    let deep_but_fine = format!(
        r#"{{"event":"send","user":"u1","textContent":{{"text":"hi"}},"deep":{}}}"#,
        nested(100, "{\"a\":", "}", "1")
    );
    let e = normalize_bytes(deep_but_fine.as_bytes());
    assert_eq!(e.event_type, EventType::MessageReceived);
}

#[test]
fn wrong_types_for_the_envelope_fields_are_unrecognized() {
    for body in [
        json!({}),
        json!({"event": null, "user": "u1"}),
        json!({"event": 5, "user": "u1"}),
        json!({"event": "", "user": "u1"}),
        json!({"event": ["send"], "user": "u1"}),
        json!({"event": "send", "user": 123, "textContent": {"text": "hi"}}),
        json!({"event": "send", "user": "", "textContent": {"text": "hi"}}),
        json!({"event": "send", "user": {"id": "u1"}, "textContent": {"text": "hi"}}),
        json!({"event": "send", "user": "u\n1", "textContent": {"text": "hi"}}),
        json!({"event": "send", "user": "u1", "textContent": {"text": 5}}),
        json!({"event": "send", "user": "u1", "imageContent": {"imageUrl": 5}}),
        json!({"event": "test"}),
        json!({"event": "action", "user": "u1", "options": {"action": "typingOn"}}),
    ] {
        assert_one_unrecognized(body.to_string().as_bytes());
    }
}

#[test]
fn numbers_where_strings_are_expected_are_read_when_they_mean_the_same() {
    let e = normalize_json(&json!({
        "event": "open", "user": "u1",
        "options": {"inflow": 5, "from": 309672359, "friend": "true", "under14": 0, "mobile": []}
    }));
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(
        detail(&e),
        json!({"inflow": "5", "from": "309672359", "friend": true})
    );
    let odd_ids = normalize_json(&json!({
        "event": "send", "user": "u1", "messageId": {"seq": 1},
        "textContent": {"text": "hi", "code": 77, "inputType": 3}
    }));
    assert_eq!(odd_ids.dedup_key, None);
    assert_eq!(
        odd_ids.message.expect("message").content,
        Content::Postback {
            text: "hi".into(),
            payload: "77".into()
        }
    );
}

#[test]
fn huge_strings_are_carried_or_refused_without_trouble() {
    let big = "가".repeat(2_000_000);
    let text =
        normalize_json(&json!({"event": "send", "user": "u1", "textContent": {"text": big}}));
    assert_eq!(
        text.message.expect("message").content,
        Content::Text { text: big.clone() }
    );

    let user =
        normalize_json(&json!({"event": "send", "user": big, "textContent": {"text": "hi"}}));
    assert_eq!(user.event_type, EventType::ProviderUnrecognized);
    assert_eq!(
        user.conversation_ref, None,
        "an absurd user id is no conversation key"
    );

    let event = assert_one_unrecognized(json!({"event": big, "user": "u1"}).to_string().as_bytes());
    assert_eq!(event.provider_event.kind.chars().count(), 64);
    assert!(
        event.provider_event.detail["reason"]
            .as_str()
            .expect("reason")
            .len()
            < 300
    );

    let id = normalize_json(
        &json!({"event": "send", "user": "u1", "messageId": big, "textContent": {"text": "hi"}}),
    );
    assert_eq!(id.event_type, EventType::MessageReceived);
    assert_eq!(id.dedup_key, None, "an absurd messageId is no dedup key");
}

const ODD_VALUES: [&str; 11] = [
    "null",
    "0",
    "-1",
    "1.5",
    "\"\"",
    "\"x\"",
    "true",
    "[]",
    "{}",
    "[null]",
    "{\"\":null}",
];

/// Every path to a member of the fixture, as a list of keys and indices.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, c)| (k.clone(), c)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        prefix.push(key);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn replace_at(v: &mut Value, path: &[String], with: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for key in parents {
        cur = match cur {
            Value::Object(map) => map.get_mut(key).expect("path"),
            Value::Array(items) => items
                .get_mut(key.parse::<usize>().expect("index"))
                .expect("path"),
            _ => return,
        };
    }
    match cur {
        Value::Object(map) => {
            map.insert(last.clone(), with);
        }
        Value::Array(items) => items[last.parse::<usize>().expect("index")] = with,
        _ => {}
    }
}

#[test]
fn any_member_of_any_fixture_replaced_by_any_json_type_still_yields_one_event() {
    let mut runs = 0;
    for name in fixture_names() {
        let original = parsed_fixture(&name);
        let mut all = Vec::new();
        paths(&original, &mut Vec::new(), &mut all);
        for path in &all {
            for odd in ODD_VALUES {
                let mut body = original.clone();
                replace_at(
                    &mut body,
                    path,
                    serde_json::from_str(odd).expect("odd value"),
                );
                let e = normalize_json(&body);
                if e.event_type != EventType::ProviderUnrecognized {
                    assert!(e.conversation_ref.is_some(), "{name} {path:?}={odd}");
                    assert!(e.contact.is_some(), "{name} {path:?}={odd}");
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 3000, "only {runs} variations ran");
}

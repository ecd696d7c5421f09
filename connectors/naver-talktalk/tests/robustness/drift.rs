//! Drift: every fixture maps to a known event, and fields Naver adds later never change a
//! mapping.

use omnigate_connector_core::EventType;
use serde_json::{json, Value};

use super::*;

pub fn parsed_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Adds an unknown member to every object of the tree, the way Naver has added `messageId`,
/// `mobile` and `noReflectBot` over the years. The Naver Pay `detail` is passed on verbatim by
/// design, so its inside is left alone.
fn with_unknown_fields(v: &mut Value) {
    if let Value::Object(map) = v {
        for (key, child) in map.iter_mut() {
            if key != "detail" && key != "deatil" {
                with_unknown_fields(child);
            }
        }
        map.insert("zzFutureField".into(), json!({"nested": [1, "two", null]}));
    } else if let Value::Array(items) = v {
        items.iter_mut().for_each(with_unknown_fields);
    }
}

#[test]
fn every_fixture_maps_to_a_known_event_type() {
    let names = fixture_names();
    assert!(names.len() >= 40, "fixtures went missing: {names:?}");
    for name in names {
        let e = fixture(&name);
        assert_ne!(
            e.event_type,
            EventType::ProviderUnrecognized,
            "{name}: {:?}",
            e.provider_event
        );
        assert!(e.conversation_ref.is_some(), "{name}");
    }
}

#[test]
fn every_fixture_with_unknown_fields_everywhere_maps_exactly_the_same() {
    for name in fixture_names() {
        let mut body = parsed_fixture(&name);
        with_unknown_fields(&mut body);
        if let Some(obj) = body.as_object_mut() {
            obj.entry("options")
                .or_insert_with(|| json!({"zzFutureOption": true}));
        }
        assert_eq!(normalize_json(&body), fixture(&name), "{name}");
    }
}

#[test]
fn real_traffic_extras_never_change_type_or_content() {
    for name in [
        "send-text.json",
        "open.json",
        "handover-pass-thread.json",
        "profile-cellphone.json",
    ] {
        let plain = fixture(name);
        let mut body = parsed_fixture(name);
        let obj = body.as_object_mut().expect("object");
        obj.insert("partner".into(), json!("wc8b1i"));
        let options = obj.entry("options").or_insert_with(|| json!({}));
        options["mobile"] = json!(true);
        options["noReflectBot"] = json!(false);
        let extra = normalize_json(&body);
        assert_eq!(extra.event_type, plain.event_type, "{name}");
        assert_eq!(extra.message, plain.message, "{name}");
        assert_eq!(extra.contact, plain.contact, "{name}");
    }
}

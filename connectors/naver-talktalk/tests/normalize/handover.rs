//! `handover`: control of the thread changed hands.

use omnigate_connector_core::EventType;
use serde_json::json;

use super::*;

#[test]
fn a_pass_thread_parses_its_json_string_metadata_and_lifts_nickname_and_auto_end() {
    let e = fixture("handover-pass-thread.json");
    assert_eq!(e.event_type, EventType::ConversationHandover);
    assert_eq!(e.provider_event.kind, "handover");
    assert_contact_is_only(&e, USER);
    assert!(e.message.is_none());
    assert_eq!(
        detail(&e),
        json!({
            "control": "passThread",
            "metadata": {"managerNickname": "파트너닉네임", "autoEnd": false},
            "managerNickname": "파트너닉네임",
            "autoEnd": false,
            "partner": "wc1234"
        })
    );
}

#[test]
fn single_quoted_pseudo_json_metadata_is_parsed_like_json() {
    let e = fixture("handover-pass-thread-in-echo-section.json");
    assert_eq!(e.event_type, EventType::ConversationHandover);
    let d = detail(&e);
    assert_eq!(
        d["metadata"],
        json!({"managerNickname": "구매자", "autoEnd": false})
    );
    assert_eq!(d["managerNickname"], "구매자");
    assert_eq!(d["autoEnd"], false);
}

#[test]
fn the_historical_automatic_close_reports_auto_end() {
    let e = fixture("handover-pass-thread-auto-end-historical.json");
    assert_eq!(
        detail(&e),
        json!({
            "control": "passThread",
            "metadata": {"autoEnd": true},
            "autoEnd": true,
            "partner": "wc1234"
        })
    );
}

#[test]
fn a_take_thread_with_blank_metadata_has_only_its_control() {
    let e = fixture("handover-take-thread.json");
    assert_eq!(e.event_type, EventType::ConversationHandover);
    assert_eq!(detail(&e), json!({"control": "takeThread"}));
}

#[test]
fn metadata_that_is_no_object_in_any_notation_is_kept_as_the_raw_string() {
    for raw in [
        "managerNickname=구매자",
        "{'managerNickname':",
        "[1,2]",
        "{managerNickname:'x'}",
    ] {
        let e = normalize_json(&json!({
            "event": "handover", "user": "u1",
            "options": {"control": "passThread", "metadata": raw}
        }));
        assert_eq!(e.event_type, EventType::ConversationHandover, "{raw}");
        assert_eq!(
            detail(&e),
            json!({"control": "passThread", "metadata": raw})
        );
    }
}

#[test]
fn metadata_already_sent_as_an_object_is_accepted() {
    let e = normalize_json(&json!({
        "event": "handover", "user": "u1",
        "options": {"control": "passThread", "metadata": {"managerNickname": "김상담", "autoEnd": "false"}}
    }));
    let d = detail(&e);
    assert_eq!(d["managerNickname"], "김상담");
    assert_eq!(d["autoEnd"], false);
}

#[test]
fn a_handover_without_a_control_is_unrecognized_on_the_users_conversation() {
    for options in [
        json!({}),
        json!({"control": 1}),
        json!({"metadata": "{}"}),
        json!("passThread"),
    ] {
        let e = normalize_json(&json!({"event": "handover", "user": "u1", "options": options}));
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{options}");
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
    }
}

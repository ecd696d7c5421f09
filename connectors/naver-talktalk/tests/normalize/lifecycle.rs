//! `open`, `leave` and `friend`.

use omnigate_connector_core::EventType;
use serde_json::json;

use super::*;

#[test]
fn open_from_a_product_button_keeps_how_and_from_where_the_user_arrived() {
    let e = fixture("open.json");
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_contact_is_only(&e, USER);
    assert!(e.message.is_none());
    assert_eq!(e.provider_event.kind, "open");
    assert_eq!(
        detail(&e),
        json!({
            "inflow": "button",
            "referer": "http://storefarm.naver.com/pqbdo/products/309672359",
            "from": "309672359",
            "friend": false,
            "under14": false,
            "under19": false,
            "unreadMessage": true
        })
    );
    assert_eq!(e.dedup_key, None);
}

#[test]
fn open_from_the_chat_list_has_no_from_and_no_unread_flag() {
    let e = fixture("open-quickstart-log.json");
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(
        detail(&e),
        json!({
            "inflow": "list",
            "referer": "https://talk.naver.com/",
            "friend": false,
            "under14": false,
            "under19": false
        })
    );
}

#[test]
fn open_from_real_traffic_keeps_the_undocumented_mobile_and_no_reflect_bot_flags() {
    let e = fixture("open-real-log.json");
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_contact_is_only(&e, "KGiMk8i-t28GYAKBuKhaSA");
    assert_eq!(
        detail(&e),
        json!({
            "inflow": "none",
            "friend": false,
            "under14": false,
            "under19": false,
            "unreadMessage": false,
            "noReflectBot": false,
            "mobile": false
        })
    );
}

#[test]
fn open_with_a_numeric_from_or_no_options_still_opens_the_conversation() {
    let e = normalize_json(&json!({"event": "open", "user": "u1", "options": {"from": 1234}}));
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(detail(&e), json!({"from": "1234"}));
    let bare = normalize_json(&json!({"event": "open", "user": "u1"}));
    assert_eq!(bare.event_type, EventType::ConversationOpened);
    assert_eq!(detail(&bare), json!({}));
}

#[test]
fn leave_closes_the_conversation_as_closed_by_the_user_with_or_without_options() {
    let e = fixture("leave.json");
    assert_eq!(e.event_type, EventType::ConversationClosed);
    assert_contact_is_only(&e, USER);
    assert!(e.message.is_none());
    assert_eq!(detail(&e), json!({"closed_by": "user"}));

    let real = fixture("leave-real-log.json");
    assert_eq!(real.event_type, EventType::ConversationClosed);
    assert_eq!(detail(&real), json!({"closed_by": "user", "mobile": false}));
}

#[test]
fn friend_on_subscribes_the_contact() {
    let e = fixture("friend-set.json");
    assert_eq!(e.event_type, EventType::ContactSubscribed);
    assert_contact_is_only(&e, USER);
    assert_eq!(detail(&e), json!({"set": "on"}));
}

#[test]
fn friend_off_unsubscribes_the_contact() {
    let e = fixture("friend-cancel.json");
    assert_eq!(e.event_type, EventType::ContactUnsubscribed);
    assert_eq!(detail(&e), json!({"set": "off"}));
}

#[test]
fn friend_without_a_known_set_value_is_unrecognized_on_the_users_conversation() {
    for options in [
        json!({"set": "maybe"}),
        json!({}),
        json!({"set": true}),
        json!(null),
    ] {
        let e = normalize_json(&json!({"event": "friend", "user": "u1", "options": options}));
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{options}");
        assert_eq!(e.provider_event.kind, "friend");
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
        assert!(e.provider_event.detail["reason"].is_string());
    }
}

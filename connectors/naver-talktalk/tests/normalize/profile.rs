//! `profile`: profile data the user agreed to share, or refused, or withdrew.

use omnigate_connector_core::{Contact, EventType};
use serde_json::json;

use super::*;

#[test]
fn a_shared_nickname_becomes_the_contacts_name() {
    let e = fixture("profile-nickname.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    assert_eq!(e.provider_event.kind, "profile");
    assert_eq!(e.conversation_ref.as_deref(), Some(USER));
    assert_eq!(
        e.contact,
        Some(Contact {
            provider_ref: Some(USER.into()),
            name: Some("네이버톡톡".into()),
            email: None,
            phone: None
        })
    );
    assert!(e.message.is_none());
    assert_eq!(detail(&e), json!({"result": "SUCCESS"}));
    let real = fixture("profile-nickname-real-log.json");
    assert_eq!(
        real.contact.and_then(|c| c.name).as_deref(),
        Some("개인정보보호차원에서 스크리닝")
    );
}

#[test]
fn a_shared_cellphone_becomes_the_contacts_phone() {
    let e = fixture("profile-cellphone.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    let c = e.contact.clone().expect("contact");
    assert_eq!(c.phone.as_deref(), Some("01012341234"));
    assert_eq!(c.name, None);
    assert_eq!(detail(&e), json!({"result": "SUCCESS"}));
}

#[test]
fn a_shared_address_is_kept_in_the_detail() {
    let e = fixture("profile-address.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    assert_contact_is_only(&e, USER);
    assert_eq!(
        detail(&e),
        json!({
            "result": "SUCCESS",
            "address": {
                "roadAddr": "경기도 성남시 분당구 불정로 6 (정자동)",
                "detAddr": "톡톡부서",
                "zipNo": "13561",
                "rnMgtSn": "411353180030",
                "latitude": "37.3595316",
                "longitude": "127.1052133"
            }
        })
    );
}

#[test]
fn a_refusal_or_cancel_is_a_contact_update_that_carries_only_the_result() {
    for (name, result) in [
        ("profile-disagree.json", "DISAGREE"),
        ("profile-cancel.json", "CANCEL"),
    ] {
        let e = fixture(name);
        assert_eq!(e.event_type, EventType::ContactUpdated, "{name}");
        assert_contact_is_only(&e, USER);
        assert_eq!(detail(&e), json!({"result": result}), "{name}");
    }
}

#[test]
fn a_consent_withdrawal_lists_what_the_helpdesk_must_erase() {
    let e = fixture("profile-withdraw.json");
    assert_eq!(e.event_type, EventType::ContactUpdated);
    assert_contact_is_only(&e, USER);
    assert_eq!(
        detail(&e),
        json!({"result": "WITHDRAW", "withdrawals": ["nickname"], "erase_fields": ["name"]})
    );
    let all = fixture("profile-withdraw-all.json");
    assert_eq!(
        detail(&all)["erase_fields"],
        json!(["name", "phone", "address"])
    );
}

#[test]
fn a_profile_with_neither_result_nor_data_is_unrecognized() {
    for options in [
        json!({}),
        json!({"result": ""}),
        json!({"result": []}),
        json!(null),
        json!({"withdrawals": "nickname"}),
    ] {
        let e = normalize_json(&json!({"event": "profile", "user": "u1", "options": options}));
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{options}");
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
    }
}

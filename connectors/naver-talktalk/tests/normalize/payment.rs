//! `pay_complete` and `pay_confirm`: Naver Pay results.

use omnigate_connector_core::EventType;
use serde_json::json;

use super::*;

#[test]
fn a_successful_payment_completes_with_its_payment_id_and_merchant_keys() {
    let e = fixture("pay-complete-success.json");
    assert_eq!(e.event_type, EventType::PaymentCompleted);
    assert_eq!(e.provider_event.kind, "pay_complete");
    assert_contact_is_only(&e, USER);
    assert!(e.message.is_none());
    assert_eq!(
        detail(&e),
        json!({
            "paymentResult": {
                "code": "Success",
                "paymentId": "20170811D3adfaasLL",
                "merchantPayKey": "bot-custom-pay-key-1234",
                "merchantUserKey": "al-2eGuGr5WQOnco1_V-FQ"
            },
            "success": true
        })
    );
}

#[test]
fn a_failed_payment_completes_with_its_reason_and_no_payment_id() {
    let e = fixture("pay-complete-fail.json");
    assert_eq!(e.event_type, EventType::PaymentCompleted);
    assert_eq!(
        detail(&e),
        json!({
            "paymentResult": {
                "code": "Fail",
                "message": "OwnerAuthFail",
                "merchantPayKey": "bot-custom-pay-key-1234",
                "merchantUserKey": "al-2eGuGr5WQOnco1_V-FQ"
            },
            "success": false
        })
    );
}

#[test]
fn a_confirmed_payment_keeps_the_docs_misspelt_deatil_as_detail() {
    let e = fixture("pay-confirm-success.json");
    assert_eq!(e.event_type, EventType::PaymentConfirmed);
    assert_eq!(e.provider_event.kind, "pay_confirm");
    assert_eq!(
        detail(&e),
        json!({
            "paymentConfirmResult": {"code": "Success", "paymentId": "20170811D3adfaasLL", "detail": {}},
            "success": true
        })
    );
}

#[test]
fn a_failed_confirmation_carries_its_message() {
    let e = fixture("pay-confirm-fail.json");
    assert_eq!(e.event_type, EventType::PaymentConfirmed);
    assert_eq!(
        detail(&e),
        json!({
            "paymentConfirmResult": {
                "code": "Fail",
                "message": "잔액 부족",
                "paymentId": "20170811D3adfaasLL",
                "detail": {}
            },
            "success": false
        })
    );
}

#[test]
fn a_confirmation_spelling_detail_correctly_is_read_the_same_way() {
    let e = fixture("pay-confirm-detail-spelling.json");
    assert_eq!(
        detail(&e)["paymentConfirmResult"]["detail"],
        json!({"paymentId": "20170811D3adfaasLL", "totalPayAmount": 15000})
    );
}

#[test]
fn a_payment_event_without_its_result_object_is_unrecognized() {
    for (event, options) in [
        ("pay_complete", json!({})),
        (
            "pay_complete",
            json!({"paymentConfirmResult": {"code": "Success"}}),
        ),
        ("pay_confirm", json!({"paymentConfirmResult": "Success"})),
        ("pay_confirm", json!(null)),
    ] {
        let e = normalize_json(&json!({"event": event, "user": "u1", "options": options}));
        assert_eq!(
            e.event_type,
            EventType::ProviderUnrecognized,
            "{event} {options}"
        );
        assert_eq!(e.provider_event.kind, event);
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
    }
}

#[test]
fn an_unknown_result_code_maps_but_claims_neither_success_nor_failure() {
    let e = normalize_json(&json!({
        "event": "pay_complete", "user": "u1",
        "options": {"paymentResult": {"code": "Pending"}}
    }));
    assert_eq!(e.event_type, EventType::PaymentCompleted);
    assert_eq!(detail(&e), json!({"paymentResult": {"code": "Pending"}}));
}

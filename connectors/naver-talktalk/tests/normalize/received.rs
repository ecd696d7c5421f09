//! `send`: what the user sent, as `message.received`, one test per content kind.

use omnigate_connector_core::{Content, Direction, EventType, Message, NormalizedEvent};
use serde_json::json;

use super::*;

fn received(name: &str) -> (NormalizedEvent, Message) {
    let e = fixture(name);
    assert_eq!(e.event_type, EventType::MessageReceived, "{name}");
    assert_eq!(e.provider_event.kind, "send");
    let m = e.message.clone().expect("a message");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.origin, None, "origin is only for echoes");
    (e, m)
}

#[test]
fn a_typed_text_becomes_a_text_message_keyed_by_the_user() {
    let (e, m) = received("send-text.json");
    assert_contact_is_only(&e, USER);
    assert_eq!(
        m.content,
        Content::Text {
            text: "hello world".into()
        }
    );
    assert_eq!(m.id, None);
    assert_eq!(detail(&e), json!({"inputType": "typing"}));
    assert_eq!(e.dedup_key, None, "no messageId, no de-duplication");
}

#[test]
fn message_id_becomes_the_message_id_and_the_dedup_key_scoped_to_user_and_event() {
    let (e, m) = received("send-text-with-message-id.json");
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("3TqZYbcC9qfZ5Cm3-4jPuw:send:30")
    );
    assert_eq!(e.provider_event.id.as_deref(), Some("30"));
    assert_eq!(m.id.as_deref(), Some("30"));
    assert_eq!(
        detail(&e),
        json!({"inputType": "typing", "mobile": true, "noReflectBot": false})
    );
}

#[test]
fn a_2025_text_without_message_id_is_not_deduplicated() {
    let (e, m) = received("send-text-real-log-2025.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "내용".into()
        }
    );
    assert_eq!(e.dedup_key, None);
}

#[test]
fn a_bot_button_tap_becomes_a_postback_with_the_buttons_code() {
    let (e, m) = received("send-button-code.json");
    assert_eq!(
        m.content,
        Content::Postback {
            text: "주문 조회".into(),
            payload: "ORDER_STATUS".into()
        }
    );
    assert_eq!(detail(&e), json!({"inputType": "button"}));
}

#[test]
fn a_composite_card_button_selection_becomes_a_postback() {
    let (e, m) = received("send-composite-selection.json");
    assert_eq!(
        m.content,
        Content::Postback {
            text: "텍스트형 버튼".into(),
            payload: "code".into()
        }
    );
    assert_eq!(e.dedup_key.as_deref(), Some(&*format!("{USER}:send:57")));
}

#[test]
fn a_sticker_becomes_sticker_content_with_its_fixed_text() {
    let (e, m) = received("send-sticker.json");
    assert_eq!(
        m.content,
        Content::Sticker {
            text: Some("스티커를 전송했습니다.".into())
        }
    );
    assert_eq!(detail(&e)["inputType"], "sticker");
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("orv4eSVDcgAxN6kM4fDEfA:send:41")
    );
}

#[test]
fn a_safe_number_request_keeps_the_text_and_exposes_number_and_expiry() {
    let (e, m) = received("send-vphone.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "050719003814,2017-11-03".into()
        }
    );
    assert_eq!(
        detail(&e),
        json!({
            "inputType": "vphone",
            "vphone": {"number": "050719003814", "expires": "2017-11-03"}
        })
    );
}

#[test]
fn a_safe_number_text_in_an_unexpected_format_is_kept_as_text_without_a_parse() {
    let e = normalize_json(&json!({
        "event": "send", "user": "u1",
        "textContent": {"text": "전화 주세요", "inputType": "vphone"}
    }));
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(detail(&e), json!({"inputType": "vphone"}));
}

#[test]
fn a_product_inquiry_keeps_the_product_card_in_the_detail() {
    let (e, m) = received("send-text-product.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "이 상품을 문의합니다.".into()
        }
    );
    assert_eq!(
        detail(&e),
        json!({
            "inputType": "product",
            "mobile": false,
            "product": {
                "name": "[중고]200개의 단계별 예제로 배우는 안드로이드 4.0",
                "url": "http://smartstore.naver.com/inflow/outlink/product?p=309672359&tr=tsf&site_preference=device",
                "mobileUrl": "http://m.smartstore.naver.com/inflow/outlink/product?p=309672359&tr=tsf&site_preference=device",
                "thumbUrl": "https://shop-phinf.pstatic.net/20150716_65/pqbdo_1437051783074LGw89_JPEG/43672814967807467_-164086553.jpg?type=f344",
                "currencyPrice": "19,900원",
                "currencyMobilePrice": "19,900원"
            }
        })
    );
}

#[test]
fn time_calendar_and_time_interval_results_are_postbacks_with_their_input_type() {
    for (name, text, input) in [
        ("send-text-time.json", "14:00", "time"),
        ("send-text-calendar.json", "20180320", "calendar"),
        (
            "send-text-calendar-range.json",
            "20180329-20180401",
            "calendar",
        ),
        ("send-text-timeinterval.json", "09:30", "timeInterval"),
    ] {
        let (e, m) = received(name);
        assert_eq!(
            m.content,
            Content::Postback {
                text: text.into(),
                payload: "code_for_your_bot".into()
            },
            "{name}"
        );
        assert_eq!(detail(&e), json!({"inputType": input}), "{name}");
    }
}

#[test]
fn a_component_result_without_a_code_is_text_with_its_input_type() {
    let e = normalize_json(&json!({
        "event": "send", "user": "u1",
        "textContent": {"text": "14:00", "inputType": "time"}
    }));
    assert_eq!(
        e.message.clone().expect("message").content,
        Content::Text {
            text: "14:00".into()
        }
    );
    assert_eq!(detail(&e), json!({"inputType": "time"}));
}

#[test]
fn a_user_image_becomes_image_content_with_its_string_sizes_read_as_numbers() {
    let (e, m) = received("send-image-string-sizes.json");
    assert_eq!(
        m.content,
        Content::Image {
            url: "http://shop1.phinf.naver.net/20200722_124/1595397671750vocE5_PNG/original_5.png"
                .into(),
            caption: None
        }
    );
    assert_eq!(m.id.as_deref(), Some("223"));
    assert_eq!(
        detail(&e),
        json!({"image": {"width": 370, "height": 320}, "mobile": false, "noReflectBot": false})
    );
    let (_, other) = received("send-image-user.json");
    assert!(matches!(other.content, Content::Image { .. }));
}

#[test]
fn a_message_during_a_human_handover_is_still_received_and_marked_standby() {
    let (e, m) = received("send-text-standby.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "헬로".into()
        }
    );
    assert_eq!(
        detail(&e),
        json!({"inputType": "typing", "standby": true, "mobile": false, "partner": "wc8b1i"})
    );
}

#[test]
fn a_content_type_naver_adds_later_is_received_as_unsupported_content() {
    let e = normalize_json(&json!({
        "event": "send", "user": "u1", "messageId": 5,
        "videoContent": {"videoUrl": "https://example.com/v.mp4"}
    }));
    assert_eq!(e.event_type, EventType::MessageReceived);
    assert_eq!(
        e.message.expect("message").content,
        Content::Unsupported {
            provider_type: "videoContent".into()
        }
    );
    assert_eq!(e.dedup_key.as_deref(), Some("u1:send:5"));
}

#[test]
fn a_send_without_usable_content_is_unrecognized_on_the_users_conversation() {
    for extra in [
        json!({}),
        json!({"textContent": {}}),
        json!({"textContent": {"text": ""}}),
        json!({"textContent": "hello"}),
        json!({"imageContent": {"width": 3}}),
    ] {
        let mut body = json!({"event": "send", "user": "u1"});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let e = normalize_json(&body);
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{body}");
        assert_eq!(e.provider_event.kind, "send");
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
    }
}

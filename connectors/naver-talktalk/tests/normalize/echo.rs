//! `echo`: what the business side sent to the user, as `message.echo`, and the partner's leave.

use omnigate_connector_core::{Content, Direction, EventType, Message, NormalizedEvent};
use serde_json::json;

use super::*;

fn echoed(name: &str) -> (NormalizedEvent, Message) {
    let e = fixture(name);
    assert_eq!(e.event_type, EventType::MessageEcho, "{name}");
    assert_eq!(e.provider_event.kind, "echo");
    let m = e.message.clone().expect("a message");
    assert_eq!(m.direction, Direction::Outbound, "{name}");
    assert_eq!(m.origin.as_deref(), Some("provider"), "{name}");
    (e, m)
}

#[test]
fn an_echoed_name_card_text_is_an_outbound_text_from_the_provider_side() {
    let (e, m) = echoed("echo.json");
    assert_contact_is_only(&e, "5KcCQTARWKNKv1IOvXwYQw");
    assert_eq!(
        m.content,
        Content::Text {
            text: "명함을 보냈습니다.".into()
        }
    );
    assert_eq!(
        detail(&e),
        json!({"echoedEvent": "send", "inputType": "nameCard", "mobile": false, "partner": "wc8b1i"})
    );
}

#[test]
fn a_2025_echo_of_a_typed_text_maps_the_same_way() {
    let (e, m) = echoed("echo-real-log-2025.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "내용".into()
        }
    );
    assert_eq!(e.dedup_key, None);
}

#[test]
fn an_agent_message_while_a_bot_owns_the_thread_says_who_sent_it_and_who_owns_it() {
    let (e, _) = echoed("echo-handover-bot-owner.json");
    assert_eq!(
        detail(&e),
        json!({
            "echoedEvent": "send",
            "inputType": "typing",
            "sourceId": 1,
            "threadOwnerId": 10007,
            "managerNickname": "구매자",
            "sent_by": "partner",
            "thread_owner": "bot",
            "mobile": false,
            "partner": "wc8b1i"
        })
    );
}

#[test]
fn an_agent_message_while_the_partner_owns_the_thread_names_the_partner_as_owner() {
    let (e, m) = echoed("echo-handover-partner-owner.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "하이".into()
        }
    );
    let d = detail(&e);
    assert_eq!(d["thread_owner"], "partner");
    assert_eq!(d["sent_by"], "partner");
    assert_eq!(d["managerNickname"], "구매자");
}

#[test]
fn a_marketing_message_is_echoed_as_its_text_with_the_campaign_number() {
    let (e, m) = echoed("echo-marketing.json");
    assert_eq!(
        m.content,
        Content::Text {
            text: "지금 주문하면 ➡ 내일 도착🚚".into()
        }
    );
    assert_eq!(m.id.as_deref(), Some("11"));
    assert_eq!(
        detail(&e),
        json!({
            "echoedEvent": "send",
            "marketing": {"marketingMessageNo": "1538499"},
            "mobile": false,
            "noReflectBot": false
        })
    );
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("DoRkwd3CGgWlBuEELDyf0g:echo:11")
    );
}

#[test]
fn a_file_sent_by_an_agent_is_file_content_with_its_expiry_despite_the_empty_text() {
    let (e, m) = echoed("echo-file.json");
    assert_eq!(
        m.content,
        Content::File {
            url: "https://cloudstorage.naver.com/k/onetalk/r/example-file".into(),
            name: Some("invoice.pdf".into())
        }
    );
    assert_eq!(
        detail(&e),
        json!({
            "echoedEvent": "send",
            "file": {"expireDate": "2026-12-31"},
            "managerNickname": "상담원",
            "mobile": true,
            "noReflectBot": false
        })
    );
}

#[test]
fn a_composite_card_is_unsupported_content_with_a_summary_of_its_cards_and_buttons() {
    let (e, m) = echoed("echo-composite.json");
    assert_eq!(
        m.content,
        Content::Unsupported {
            provider_type: "compositeContent".into()
        }
    );
    let d = detail(&e);
    assert_eq!(
        d["composite"],
        json!({"compositeList": [{
            "title": "챗봇 판매상품 1234",
            "description": "가격 15000원",
            "imageUrl": "http://shop1.phinf.naver.net/20170216_20/talktalk_14872437839327BN4b_PNG/menu_01.png",
            "elementList": [{
                "title": "리스트 요소 타이틀",
                "description": "리스트 요소 설명1",
                "subDescription": "리스트 요소 설명2",
                "button": {"type": "TEXT", "title": "요소버튼", "code": "element_code"}
            }],
            "buttonList": [
                {"type": "TEXT", "title": "상품정보보기", "code": "info"},
                {"type": "LINK", "title": "링크형 버튼", "url": "https://example.com/menu/1", "mobileUrl": "https://example.com/m/menu/1"},
                {"type": "OPTION", "title": "옵션형 버튼", "buttonList": [
                    {"type": "TEXT", "title": "옵션-텍스트버튼", "code": "option_code"}
                ]},
                {"type": "PAY", "merchantPayKey": "bot-pay-1234"}
            ]
        }]})
    );
    assert_eq!(
        d["quickReplies"],
        json!([{"type": "TIMEINTERVAL", "title": "방문 시간 선택하기", "code": "code_for_your_bot"}])
    );
    assert_eq!(d["sent_by"], "bot");
}

#[test]
fn the_partner_pressing_leave_closes_the_conversation_as_closed_by_the_partner() {
    let e = fixture("echo-leave.json");
    assert_eq!(e.event_type, EventType::ConversationClosed);
    assert_eq!(e.provider_event.kind, "echo");
    assert!(e.message.is_none());
    assert_contact_is_only(&e, "DoRkwd3CGgWlBuEELDyf0g");
    assert_eq!(
        detail(&e),
        json!({
            "closed_by": "partner",
            "echoedEvent": "leave",
            "managerNickname": "상담원",
            "mobile": false,
            "noReflectBot": false
        })
    );
    assert_eq!(
        e.dedup_key.as_deref(),
        Some("DoRkwd3CGgWlBuEELDyf0g:echo:12")
    );
}

#[test]
fn an_echoed_product_message_without_content_is_an_unsupported_product_echo() {
    let (e, m) = echoed("echo-product.json");
    assert_eq!(
        m.content,
        Content::Unsupported {
            provider_type: "product".into()
        }
    );
    assert_eq!(detail(&e)["echoedEvent"], "product");
}

#[test]
fn an_echo_of_an_undocumented_event_with_content_is_still_an_echo() {
    let e = normalize_json(&json!({
        "event": "echo", "user": "u1", "echoedEvent": "someday",
        "textContent": {"text": "안내"}
    }));
    assert_eq!(e.event_type, EventType::MessageEcho);
    assert_eq!(detail(&e)["echoedEvent"], "someday");
}

#[test]
fn an_echo_without_content_that_is_not_a_leave_or_product_is_unrecognized() {
    for echoed in [json!("send"), json!(null), json!("handover")] {
        let e = normalize_json(&json!({
            "event": "echo", "user": "u1", "echoedEvent": echoed, "textContent": {}
        }));
        assert_eq!(e.event_type, EventType::ProviderUnrecognized, "{echoed}");
        assert_eq!(e.conversation_ref.as_deref(), Some("u1"));
    }
}

#[test]
fn an_echoed_uploaded_image_and_quick_replies_are_kept_in_the_detail() {
    let image = normalize_json(&json!({
        "event": "echo", "user": "u1", "echoedEvent": "send",
        "imageContent": {"imageId": "9vNeSIoFKkIHYCFZVveXr"}
    }));
    assert_eq!(image.event_type, EventType::MessageEcho);
    assert_eq!(
        image.message.clone().expect("message").content,
        Content::Unsupported {
            provider_type: "imageContent".into()
        }
    );
    assert_eq!(
        detail(&image)["image"],
        json!({"imageId": "9vNeSIoFKkIHYCFZVveXr"})
    );

    let text = normalize_json(&json!({
        "event": "echo", "user": "u1", "echoedEvent": "send",
        "textContent": {
            "text": "방문 시간을 선택해 주세요.",
            "quickReply": {"buttonList": [
                {"type": "TIME", "data": {"title": "방문 시간 선택", "code": "code_for_your_bot"}}
            ]}
        }
    }));
    assert_eq!(
        text.message.clone().expect("message").content,
        Content::Text {
            text: "방문 시간을 선택해 주세요.".into()
        }
    );
    assert_eq!(
        detail(&text)["quickReplies"],
        json!([{"type": "TIME", "title": "방문 시간 선택", "code": "code_for_your_bot"}])
    );
}

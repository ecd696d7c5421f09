//! The bodies of the Chatwoot calls that carry a visitor: the contact, and an incoming message's
//! text.

use serde_json::{json, Map, Value};

use super::{notes, MARKER};
use crate::domain::destination::ChatwootSettings;

/// Text for an incoming message: attachments that could not be fetched become links.
pub fn incoming_text(content: &Value) -> String {
    match content["type"].as_str() {
        Some("text") => content["text"].as_str().unwrap_or_default().to_string(),
        Some("image" | "file") => {
            let mut text = notes::message_text(content);
            if let Some(caption) = content["caption"].as_str() {
                text = format!("{caption}\n{text}");
            }
            text
        }
        _ => notes::message_text(content),
    }
}

/// The contact create body. Chatwoot validates phone numbers as E.164 and emails by format, so
/// values it would refuse go into `additional_attributes` rather than failing the delivery.
pub fn contact_body(s: &ChatwootSettings, conversation_id: &str, key: &str, data: &Value) -> Value {
    let contact = &data["contact"];
    let provider = data
        .pointer("/channel/provider")
        .and_then(Value::as_str)
        .unwrap_or("provider");
    let provider_ref = key.split_once(':').map(|(_, r)| r).unwrap_or(key);
    let mut attributes = Map::new();
    attributes.insert("provider".into(), json!(provider));
    attributes.insert(
        "channel_id".into(),
        data.pointer("/channel/id").cloned().unwrap_or(Value::Null),
    );
    attributes.insert("provider_ref".into(), json!(provider_ref));
    let mut body = json!({
        "inbox_id": s.inbox_id,
        "identifier": format!("{MARKER}{key}"),
        "source_id": format!("{MARKER}{conversation_id}"),
    });
    let short: String = provider_ref.chars().take(8).collect();
    let name = contact["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{provider} visitor {short}"));
    body["name"] = json!(name);
    if let Some(email) = contact["email"].as_str() {
        if email.contains('@') && !email.contains(char::is_whitespace) {
            body["email"] = json!(email);
        } else {
            attributes.insert("email".into(), json!(email));
        }
    }
    if let Some(phone) = contact["phone"].as_str() {
        let e164 = phone.starts_with('+')
            && phone[1..].chars().all(|c| c.is_ascii_digit())
            && phone.len() > 4;
        if e164 {
            body["phone_number"] = json!(phone);
        } else {
            attributes.insert("phone".into(), json!(phone));
        }
    }
    body["additional_attributes"] = Value::Object(attributes);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ChatwootSettings {
        ChatwootSettings {
            base_url: "http://cw".into(),
            account_id: 1,
            inbox_id: 7,
            api_access_token: "t".into(),
            inbox_secret: None,
            allow_unsigned_callbacks: true,
            callback_secret: "c".into(),
        }
    }

    #[test]
    fn phones_chatwoot_would_refuse_stay_as_attributes() {
        let data = json!({"channel": {"id": "chn_1", "provider": "naver_talktalk"},
                          "contact": {"name": null, "phone": "01012341234", "email": "a@b.c"}});
        let body = contact_body(&settings(), "cnv_1", "chn_1:u1", &data);
        assert!(body.get("phone_number").is_none());
        assert_eq!(body["additional_attributes"]["phone"], "01012341234");
        assert_eq!(body["email"], "a@b.c");
        assert_eq!(body["name"], "naver_talktalk visitor u1");
        assert_eq!(body["source_id"], "omnigate:cnv_1");
    }
}

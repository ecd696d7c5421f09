//! Reading Chatwoot's fields leniently: ids that are numbers (or digit strings), the
//! conversation a payload belongs to, and the visitor (Chatwoot's "contact").

use omnigate_connector_core::Contact;
use serde_json::{Map, Value};

/// A Chatwoot record id: a positive integer, or the same as a digit string. Only digits are
/// accepted because a conversation id ends up in the reply URL's path.
pub fn id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s)
            if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(s.clone())
        }
        _ => None,
    }
}

pub fn object<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    obj.get(key).and_then(Value::as_object)
}

/// A non-blank string.
pub fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// The conversation a payload belongs to: `conversation.id` (a message), `current_conversation.id`
/// (a widget event), or, when the payload *is* a conversation, its own `id`. Chatwoot puts the
/// conversation's per-account display id there, the one its API paths take.
pub fn conversation_ref(obj: &Map<String, Value>, payload_is_conversation: bool) -> Option<String> {
    object(obj, "conversation")
        .and_then(|c| id(c.get("id")))
        .or_else(|| id(obj.get("conversation_id")))
        .or_else(|| object(obj, "current_conversation").and_then(|c| id(c.get("id"))))
        .or_else(|| payload_is_conversation.then(|| id(obj.get("id"))).flatten())
}

/// A contact from one of Chatwoot's contact objects (`id`, `name`, `email`, `phone_number`).
pub fn contact_from(c: &Map<String, Value>) -> Option<Contact> {
    let contact = Contact {
        provider_ref: id(c.get("id")),
        name: text(c.get("name")),
        email: text(c.get("email")),
        phone: text(c.get("phone_number")),
    };
    (contact != Contact::default()).then_some(contact)
}

/// The visitor of a payload. A conversation names its contact in `meta.sender`; a message
/// carries its conversation, a `contact`, and a `sender` that is the contact only for
/// incoming messages (an agent otherwise); a widget event has `contact`.
pub fn visitor(obj: &Map<String, Value>) -> Option<Contact> {
    let meta_sender = |o: &Map<String, Value>| {
        object(o, "meta")
            .and_then(|m| object(m, "sender"))
            .and_then(contact_from)
    };
    object(obj, "conversation")
        .and_then(meta_sender)
        .or_else(|| meta_sender(obj))
        .or_else(|| object(obj, "contact").and_then(contact_from))
        .or_else(|| {
            object(obj, "sender")
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("contact"))
                .and_then(contact_from)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_digits_from_numbers_or_strings_and_nothing_else() {
        assert_eq!(id(Some(&json!(10))), Some("10".into()));
        assert_eq!(id(Some(&json!("10"))), Some("10".into()));
        for bad in [
            json!(-1),
            json!(1.5),
            json!("10/../2"),
            json!(""),
            json!(null),
        ] {
            assert_eq!(id(Some(&bad)), None, "{bad}");
        }
    }
}

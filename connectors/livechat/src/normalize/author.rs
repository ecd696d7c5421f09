//! Who wrote a LiveChat event. A LiveChat event names only its `author_id`, so the author is
//! read, in order of trust, from: the chat's `users` list (its `type`) when the webhook carries
//! it (`incoming_chat`); an `author_type` field on the event (the name of LiveChat's webhook
//! filter, in case it is ever sent); the shape of the id. LiveChat agent ids are the agent's
//! e-mail address, bot ids are 32 hex digits, customer ids are UUIDs. Anything else is
//! `Unknown`, and an unknown author is never taken for the customer: an agent's message must
//! not reach the helpdesk as the visitor's.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Customer,
    Agent,
    Bot,
    Unknown,
}

impl Author {
    /// The name used in `detail.sent_by` / `detail.closed_by`.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Agent => "agent",
            Author::Bot => "bot",
            Author::Unknown => "unknown",
        }
    }

    fn from_type(t: &str) -> Author {
        match t {
            "customer" => Author::Customer,
            "agent" => Author::Agent,
            "bot" => Author::Bot,
            _ => Author::Unknown,
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && is_hex(g))
}

/// By the id alone.
pub fn by_id(id: &str) -> Author {
    if id.contains('@') {
        Author::Agent
    } else if id.len() == 32 && is_hex(id) {
        Author::Bot
    } else if is_uuid(id) {
        Author::Customer
    } else {
        Author::Unknown
    }
}

/// The author of `id`, given the chat's `users` (when known) and the event's own `author_type`.
pub fn classify(id: &str, users: Option<&[Value]>, author_type: Option<&str>) -> Author {
    let listed = users
        .into_iter()
        .flatten()
        .find(|u| u.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|u| u.get("type").and_then(Value::as_str))
        .map(Author::from_type)
        .filter(|a| *a != Author::Unknown);
    let declared = author_type
        .map(Author::from_type)
        .filter(|a| *a != Author::Unknown);
    listed.or(declared).unwrap_or_else(|| by_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_told_apart_by_their_shape() {
        assert_eq!(
            by_id("345f8235-d60d-433e-63c5-7f813a6ffe25"),
            Author::Customer
        );
        assert_eq!(by_id("smith@example.com"), Author::Agent);
        assert_eq!(by_id("5c9871d5372c824cbf22d860a707a578"), Author::Bot);
        assert_eq!(by_id("visitor-17"), Author::Unknown);
        assert_eq!(by_id(""), Author::Unknown);
    }

    #[test]
    fn the_users_list_and_a_declared_type_win_over_the_shape() {
        let users = [json!({"id": "345f8235-d60d-433e-63c5-7f813a6ffe25", "type": "agent"})];
        assert_eq!(
            classify("345f8235-d60d-433e-63c5-7f813a6ffe25", Some(&users), None),
            Author::Agent
        );
        assert_eq!(
            classify("visitor-17", None, Some("customer")),
            Author::Customer
        );
        assert_eq!(
            classify("smith@example.com", None, Some("robot")),
            Author::Agent,
            "an unknown declared type falls back to the id"
        );
    }
}

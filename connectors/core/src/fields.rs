//! Reading provider JSON the way every mapper needs: non-blank strings, ids sent as strings or
//! numbers (bounded, so they can key conversations and de-duplication), provider names capped
//! in length, and provider detail kept only when present.

use serde_json::{Map, Value};

/// Longest provider event name kept as `provider_event.type`.
pub const MAX_KIND_LEN: usize = 64;
/// Longest id accepted as a conversation, message or de-duplication key.
pub const MAX_ID_LEN: usize = 128;

/// A non-blank string.
pub fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// An id sent as a string or an integer. Empty, long or control-character values are no id:
/// they would become keys (and, for conversations, path segments of reply URLs).
pub fn id(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s.len() <= MAX_ID_LEN && !s.chars().any(char::is_control)).then_some(s)
}

/// A provider event name, cut to [`MAX_KIND_LEN`] characters.
pub fn capped(name: &str) -> String {
    name.chars().take(MAX_KIND_LEN).collect()
}

/// Sets `detail[key]` to `value` unless the value is absent or null.
pub fn keep(detail: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    if let Some(v) = value.filter(|v| !v.is_null()) {
        detail.insert(key.to_string(), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_bounded_strings_or_integers() {
        assert_eq!(id(Some(&json!("c-1"))).as_deref(), Some("c-1"));
        assert_eq!(
            id(Some(&json!(3624100517_u64))).as_deref(),
            Some("3624100517")
        );
        for bad in [
            json!(""),
            json!(1.5),
            json!("a\nb"),
            json!("x".repeat(129)),
            json!({}),
        ] {
            assert_eq!(id(Some(&bad)), None, "{bad}");
        }
        assert_eq!(text(Some(&json!("  "))), None);
        assert_eq!(capped(&"e".repeat(100)).len(), 64);
        let mut d = Map::new();
        keep(&mut d, "a", Some(&Value::Null));
        keep(&mut d, "b", Some(&json!(1)));
        assert_eq!(Value::Object(d), json!({"b": 1}));
    }
}

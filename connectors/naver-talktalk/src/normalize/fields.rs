//! Lenient readers for Naver's JSON fields.
//!
//! Naver's payloads are loosely typed in practice: a user image's `width` arrived as the string
//! `"320"`, ids are numbers in one log and could be strings in the next, and the docs mix
//! `null` with absent fields. Every reader here accepts the plausible spellings of a value and
//! answers `None` for anything else, so a surprising type drops one detail field instead of the
//! whole event.

use serde_json::{Map, Value};

/// The fields of an object member, when it is an object; anything else reads as absent.
pub fn object<'a>(parent: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    parent.get(key).and_then(Value::as_object)
}

/// A non-empty string, or a number written as a string (an id or a zip code sent as a number
/// still means the same thing). Empty strings read as absent: Naver omits and blanks fields
/// interchangeably.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`text`] of an object member.
pub fn text_at(parent: &Map<String, Value>, key: &str) -> Option<String> {
    text(parent.get(key))
}

/// A non-empty string member, and only a string: for URLs, where a number is no address.
pub fn string_at(parent: &Map<String, Value>, key: &str) -> Option<String> {
    parent
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A boolean, or the strings `"true"` / `"false"`.
pub fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// [`flag`] of an object member.
pub fn flag_at(parent: &Map<String, Value>, key: &str) -> Option<bool> {
    flag(parent.get(key))
}

/// An integer, or a string holding one (`"320"`). Fractions and out-of-range values read as
/// absent rather than being rounded into something Naver did not say.
pub fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// [`integer`] of an object member.
pub fn integer_at(parent: &Map<String, Value>, key: &str) -> Option<i64> {
    integer(parent.get(key))
}

/// The strings of an array member, skipping anything that is not a non-empty string.
pub fn strings_at(parent: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    let items = parent.get(key)?.as_array()?;
    Some(items.iter().filter_map(|v| text(Some(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_numeric_strings_are_both_integers() {
        assert_eq!(integer(Some(&json!(320))), Some(320));
        assert_eq!(integer(Some(&json!(" 320 "))), Some(320));
        assert_eq!(integer(Some(&json!(3.5))), None);
        assert_eq!(integer(Some(&json!("wide"))), None);
        assert_eq!(integer(Some(&json!({}))), None);
    }

    #[test]
    fn text_accepts_numbers_and_rejects_blanks_and_structures() {
        assert_eq!(text(Some(&json!(309672359))).as_deref(), Some("309672359"));
        assert_eq!(text(Some(&json!(""))), None);
        assert_eq!(text(Some(&json!(null))), None);
        assert_eq!(text(Some(&json!(["a"]))), None);
    }

    #[test]
    fn flags_accept_string_spellings() {
        assert_eq!(flag(Some(&json!("TRUE"))), Some(true));
        assert_eq!(flag(Some(&json!(false))), Some(false));
        assert_eq!(flag(Some(&json!(1))), None);
    }
}

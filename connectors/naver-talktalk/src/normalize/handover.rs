//! `handover` (`conversation.handover`): control of the thread changed hands, typically an agent
//! pressing 상담 완료하기 to pass the thread back to the bot.
//!
//! `options.metadata` is a JSON *string*, and one of the docs' own examples writes it with
//! single quotes (`"{'managerNickname':'구매자','autoEnd':false}"`), so it is parsed as strict
//! JSON first and then through a careful single-quote conversion; when neither yields an object
//! the raw string is kept.

use omnigate_connector_core::EventType;
use serde::Serialize;
use serde_json::{Map, Value};

use super::detail::to_map;
use super::fields::{flag, string_at, text, text_at};
use super::{Envelope, Mapped, Outcome};

/// `conversation.handover` detail.
#[derive(Debug, Serialize)]
pub struct HandoverDetail {
    /// `passThread` (control passed on; inbound: the agent finished and the bot owns the
    /// thread again) or `takeThread`, as Naver sent it.
    pub control: String,
    /// The parsed metadata object, or the raw string when it is not an object in any notation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The agent who handed over, from the metadata (or `options`).
    #[serde(rename = "managerNickname", skip_serializing_if = "Option::is_none")]
    pub manager_nickname: Option<String>,
    /// Whether the handover was an automatic close (a feature Naver removed in 2021).
    #[serde(rename = "autoEnd", skip_serializing_if = "Option::is_none")]
    pub auto_end: Option<bool>,
}

pub fn handover(env: &Envelope<'_>) -> Outcome {
    let o = env.options;
    let Some(control) = string_at(o, "control") else {
        return Err("handover event without options.control".into());
    };
    let metadata = o.get("metadata").and_then(metadata);
    let meta_obj = metadata.as_ref().and_then(Value::as_object);
    let from_meta = |key: &str| meta_obj.and_then(|m| m.get(key));
    let detail = HandoverDetail {
        control,
        manager_nickname: text(from_meta("managerNickname"))
            .or_else(|| text_at(o, "managerNickname")),
        auto_end: flag(from_meta("autoEnd")).or_else(|| flag(o.get("autoEnd"))),
        metadata,
    };
    Ok(Mapped::new(
        EventType::ConversationHandover,
        to_map(&detail),
    ))
}

/// The metadata as an object, or its raw string; nothing for blanks and non-strings.
fn metadata(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) => Some(v.clone()),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(parse_object(s).map_or_else(|| v.clone(), Value::Object)),
        _ => None,
    }
}

/// Parses a JSON object written with double or single quotes.
pub fn parse_object(s: &str) -> Option<Map<String, Value>> {
    if let Ok(Value::Object(map)) = serde_json::from_str(s) {
        return Some(map);
    }
    match serde_json::from_str(&single_quotes_to_json(s)?) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Rewrites single-quoted strings as JSON strings, leaving double-quoted strings (which may hold
/// apostrophes) and everything else untouched; the JSON parser then judges the result. `None`
/// when a string is not terminated.
fn single_quotes_to_json(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                loop {
                    let c = chars.next()?;
                    out.push(c);
                    match c {
                        '\\' => out.push(chars.next()?),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            '\'' => out.push('\''),
                            escaped => {
                                out.push('\\');
                                out.push(escaped);
                            }
                        },
                        '\'' => break,
                        '"' => out.push_str("\\\""),
                        other => out.push(other),
                    }
                }
                out.push('"');
            }
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_and_single_quoted_metadata_parse_to_the_same_object() {
        let strict = parse_object(r#"{"managerNickname":"구매자","autoEnd":false}"#);
        let single = parse_object("{'managerNickname':'구매자','autoEnd':false}");
        assert_eq!(strict, single);
        assert_eq!(
            single.map(Value::Object),
            Some(json!({"managerNickname": "구매자", "autoEnd": false}))
        );
    }

    #[test]
    fn quotes_inside_strings_survive_the_conversion() {
        let parsed = parse_object(r#"{'note':'say "hi"', "name": "O'Brien", 'it\'s': 1}"#);
        assert_eq!(
            parsed.map(Value::Object),
            Some(json!({"note": "say \"hi\"", "name": "O'Brien", "it's": 1}))
        );
    }

    #[test]
    fn anything_that_is_not_an_object_stays_unparsed() {
        for s in [
            "{'a':",
            "{'a':1",
            "'just a string'",
            "[1,2]",
            "{a:1}",
            "{'a':'unterminated}",
            "",
        ] {
            assert_eq!(parse_object(s), None, "{s}");
        }
    }
}

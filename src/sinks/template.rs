//! Subject, stream-key and routing-key templates such as `omnigate.{channel}.{type}`: checked
//! once when a destination is registered (a 422 `invalid_template` naming the field), rendered
//! for every event.

use super::message::Message;
use crate::domain::destination::FieldError;
use crate::error::Code;

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &["channel", "type", "conversation", "provider"];

/// Where a rendered template goes, and what that broker accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A NATS subject: dot-separated tokens, none empty, no whitespace, no `*` or `>`
    /// (wildcards are for subscribers).
    NatsSubject,
    /// A Redis key: any bytes.
    RedisKey,
    /// An AMQP routing key: at most 255 bytes.
    RoutingKey,
}

const MAX_LEN: usize = 255;

enum Part<'a> {
    Text(&'a str),
    Value(&'a str),
}

/// The template's literal text and placeholders, or why it is not a template.
fn parts(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                out.push(Part::Text(rest));
                break;
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err("has a `}` without its `{`".into());
            }
            Some(i) => {
                out.push(Part::Text(&rest[..i]));
                let after = &rest[i + 1..];
                let end = after
                    .find('}')
                    .ok_or_else(|| "has a `{` without its `}`".to_string())?;
                let name = &after[..end];
                if !PLACEHOLDERS.contains(&name) {
                    return Err(format!(
                        "names {{{name}}}, which is not one of {}",
                        PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                out.push(Part::Value(name));
                rest = &after[end + 1..];
            }
        }
    }
    Ok(out)
}

/// Checks a template for `field`; returns it trimmed.
pub fn validate(template: &str, field: &'static str, syntax: Syntax) -> Result<String, FieldError> {
    let bad = |why: String| FieldError::new(Code::InvalidTemplate, field, format!("{field} {why}"));
    let template = template.trim();
    if template.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if template.len() > MAX_LEN {
        return Err(bad(format!("must be at most {MAX_LEN} bytes")));
    }
    let parts = parts(template).map_err(bad)?;
    if template.chars().any(char::is_control) {
        return Err(bad("must not hold control characters".into()));
    }
    if syntax == Syntax::NatsSubject {
        if template
            .chars()
            .any(|c| c.is_whitespace() || c == '*' || c == '>')
        {
            return Err(bad(
                "must not hold whitespace or the wildcards `*` and `>`".into()
            ));
        }
        // With every placeholder filled, no token may be empty.
        let sample: String = parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => *t,
                Part::Value(_) => "x",
            })
            .collect();
        if sample.split('.').any(str::is_empty) {
            return Err(bad(
                "must be dot-separated tokens, none empty (no leading, trailing or double dot)"
                    .into(),
            ));
        }
    }
    Ok(template.to_string())
}

/// The template filled in for `message` (a template checked by [`validate`]). Values keep only
/// what every broker accepts in a name: a character outside letters, digits and `._-:` becomes
/// `_`, so an odd provider value cannot add a NATS wildcard or token.
pub fn render(template: &str, message: &Message) -> String {
    let Ok(parts) = parts(template) else {
        return template.to_string();
    };
    let mut out = String::with_capacity(template.len() + 32);
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Value(name) => {
                let value = match name {
                    "channel" => &message.channel,
                    "type" => &message.event_type,
                    "conversation" => &message.conversation,
                    _ => &message.provider,
                };
                out.extend(value.chars().map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':') {
                        c
                    } else {
                        '_'
                    }
                }));
            }
        }
    }
    out.truncate(MAX_LEN.max(template.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            event_id: "evt_1".into(),
            event_type: "message.received".into(),
            channel: "chn_1".into(),
            conversation: "cnv 1*>".into(),
            provider: "naver_talktalk".into(),
            body: Vec::new(),
        }
    }

    #[test]
    fn placeholders_are_filled_in_and_odd_characters_replaced() {
        let t = validate(
            " omnigate.{channel}.{type} ",
            "subject",
            Syntax::NatsSubject,
        )
        .unwrap();
        assert_eq!(t, "omnigate.{channel}.{type}");
        assert_eq!(render(&t, &message()), "omnigate.chn_1.message.received");
        assert_eq!(
            render("{provider}:{conversation}", &message()),
            "naver_talktalk:cnv_1__"
        );
    }

    #[test]
    fn bad_templates_are_refused_with_a_reason() {
        for (t, syntax, why) in [
            ("", Syntax::RedisKey, "must not be empty"),
            ("a.{nope}", Syntax::RedisKey, "names {nope}"),
            ("a.{channel", Syntax::RedisKey, "without its `}`"),
            ("a}", Syntax::RoutingKey, "without its `{`"),
            ("a.*.{type}", Syntax::NatsSubject, "wildcards"),
            ("a b", Syntax::NatsSubject, "whitespace"),
            ("a..{type}", Syntax::NatsSubject, "none empty"),
            ("{type}.", Syntax::NatsSubject, "none empty"),
        ] {
            let e = validate(t, "subject", syntax).unwrap_err();
            assert_eq!(e.code, Code::InvalidTemplate, "{t}");
            assert!(e.detail.contains(why), "{t}: {}", e.detail);
        }
        assert!(validate(&"x".repeat(256), "routing_key", Syntax::RoutingKey).is_err());
        assert!(validate("a b *", "stream_key", Syntax::RedisKey).is_ok());
    }
}

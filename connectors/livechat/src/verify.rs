//! LiveChat signs nothing and sends no secret header: it puts the secret registered with the
//! webhook into the JSON body as `secret_key`. So this check must parse the body before trusting
//! it, and keeps that parse minimal: one top-level string field is read out of the raw bytes
//! (every other value is skipped without being built), then compared with
//! `credentials.webhook_secret` in constant time. The optional source allow list is checked
//! first.

use omnigate_connector_core::{
    allowlist, signature, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::WEBHOOK_SECRET;

/// The body field, as LiveChat names it.
pub const FIELD: &str = "secret_key";

#[derive(Deserialize)]
struct Envelope {
    // Owned, so a secret written with JSON escapes still decodes; unknown fields are skipped.
    #[serde(default)]
    secret_key: Option<String>,
}

/// The body's `secret_key`, when the body is a JSON object holding exactly one string under it.
/// A duplicated key is a parse error, so two values can never disagree with what normalize reads.
fn sent_secret(body: &[u8]) -> Option<String> {
    // serde would also read a struct from a JSON array, by position; a webhook is an object.
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    serde_json::from_slice::<Envelope>(body).ok()?.secret_key
}

/// What replaces the secret in a body the gateway keeps.
pub const REDACTED: &str = "[redacted]";

/// The body without its `secret_key`, for the gateway to keep and forward: the secret must never
/// reach a helpdesk through `data.raw`. A body that cannot be read as a JSON object is not kept
/// at all (`None`), since the secret could not be found in it to be taken out.
pub fn redact(body: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object_mut()?;
    if !object.contains_key(FIELD) {
        return Some(std::borrow::Cow::Borrowed(body));
    }
    object.insert(FIELD.to_string(), serde_json::Value::from(REDACTED));
    serde_json::to_vec(&value).ok().map(std::borrow::Cow::Owned)
}

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let sent = sent_secret(req.body).ok_or(VerifyError::MissingSignature(FIELD))?;
    // A channel without a secret accepts nothing: an empty expected value must not match.
    let expected = channel
        .credentials
        .get(WEBHOOK_SECRET)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::BadSignature)?;
    if signature::equal(sent.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// The request LiveChat sends for `body`: the registered secret copied into the body's
/// `secret_key`. `None` when `body` is not a JSON object, which LiveChat never sends.
pub fn sign(credentials: &Map<String, Value>, body: &[u8]) -> Option<SignedRequest> {
    let secret = credentials.get(WEBHOOK_SECRET)?.as_str()?;
    let mut object = match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(object) => object,
        _ => return None,
    };
    object.insert(FIELD.into(), Value::from(secret));
    Some(SignedRequest {
        headers: Vec::new(),
        body: serde_json::to_vec(&object).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: &[u8], settings: Value) -> Result<(), VerifyError> {
        let creds: Map<String, Value> = json!({"webhook_secret": "lc-whs-7"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let settings: Map<String, Value> = settings.as_object().cloned().unwrap_or_default();
        let channel = ChannelContext {
            credentials: &creds,
            settings: &settings,
        };
        let req = InboundRequest {
            topic: None,
            headers: &[],
            body,
            source_ip: "198.51.100.7".parse().ok(),
            received_at: 0,
        };
        verify(&req, &channel)
    }

    #[test]
    fn the_kept_body_has_no_secret() {
        let body = br#"{"webhook_id":"w1","secret_key":"lc-whs-7","action":"incoming_event","payload":{"chat_id":"C1"}}"#;
        let kept = redact(body).expect("a JSON object is kept");
        let kept: serde_json::Value = serde_json::from_slice(&kept).expect("still JSON");
        assert_eq!(kept["secret_key"], REDACTED);
        assert_eq!(kept["payload"]["chat_id"], "C1");
        assert!(
            !String::from_utf8_lossy(&serde_json::to_vec(&kept).unwrap_or_default())
                .contains("lc-whs-7")
        );
        assert!(redact(b"not json").is_none());
        assert!(redact(br#"["secret_key"]"#).is_none());
        let without = br#"{"action":"x"}"#;
        assert_eq!(redact(without).as_deref(), Some(&without[..]));
    }

    #[test]
    fn the_secret_key_in_the_body_is_accepted_and_any_other_refused() {
        let ok = br#"{"webhook_id":"w1","secret_key":"lc-whs-7","action":"incoming_event","payload":{"x":[1,{"y":null}]}}"#;
        assert_eq!(check(ok, json!({})), Ok(()));
        let escaped = br#"{"secret_key":"lc-whs\u002d7"}"#;
        assert_eq!(
            check(escaped, json!({})),
            Ok(()),
            "JSON escapes are decoded"
        );
        for wrong in [
            &br#"{"secret_key":"lc-whs-8"}"#[..],
            br#"{"secret_key":"lc-whs-"}"#,
            br#"{"secret_key":""}"#,
        ] {
            assert_eq!(check(wrong, json!({})), Err(VerifyError::BadSignature));
        }
    }

    #[test]
    fn a_body_without_exactly_one_string_secret_key_is_missing_its_signature() {
        for body in [
            &br#"{"action":"incoming_event"}"#[..],
            br#"{"secret_key":null}"#,
            br#"{"secret_key":7}"#,
            br#"{"secret_key":"lc-whs-7","secret_key":"other"}"#,
            br#"["lc-whs-7"]"#,
            br#"{"secret_key":"lc-whs-7""#,
            b"",
            b"\xff",
        ] {
            assert_eq!(
                check(body, json!({})),
                Err(VerifyError::MissingSignature("secret_key")),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn an_allow_list_refuses_other_sources_even_with_the_right_secret() {
        let ok = br#"{"secret_key":"lc-whs-7"}"#;
        let other = json!({"allowed_source_ips": ["203.0.113.0/24"]});
        assert_eq!(
            check(ok, other),
            Err(VerifyError::SourceNotAllowed("198.51.100.7".into()))
        );
        let listed = json!({"allowed_source_ips": ["198.51.100.0/24"]});
        assert_eq!(check(ok, listed), Ok(()));
    }
}

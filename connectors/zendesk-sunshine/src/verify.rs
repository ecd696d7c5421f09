//! Sunshine sends the webhook's shared secret as the `X-API-Key` header of every request (no
//! HMAC, no timestamp). It is compared with `credentials.webhook_secret` in constant time before
//! the body is looked at; the optional source allow list is checked first.

use omnigate_connector_core::{
    allowlist, signature, ChannelContext, InboundRequest, SignedRequest, VerifyError,
};
use serde_json::{Map, Value};

use crate::config::WEBHOOK_SECRET;

/// The header, as Sunshine names it (the gateway hands headers over in lower case).
pub const HEADER: &str = "X-API-Key";

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)?;
    let sent = req
        .header("x-api-key")
        .ok_or(VerifyError::MissingSignature(HEADER))?;
    // A channel without a secret accepts nothing: an empty expected value must not match an
    // empty header.
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

/// The request Sunshine sends: the webhook's shared secret in `X-API-Key`.
pub fn sign(credentials: &Map<String, Value>, body: &[u8]) -> Option<SignedRequest> {
    let secret = credentials.get(WEBHOOK_SECRET)?.as_str()?;
    Some(SignedRequest {
        headers: vec![("x-api-key".into(), secret.into())],
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(headers: &[(&str, &str)], creds: Value, settings: Value) -> Result<(), VerifyError> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let creds: Map<String, Value> = creds.as_object().cloned().unwrap_or_default();
        let settings: Map<String, Value> = settings.as_object().cloned().unwrap_or_default();
        let channel = ChannelContext {
            credentials: &creds,
            settings: &settings,
        };
        let req = InboundRequest {
            topic: None,
            headers: &headers,
            body: b"{}",
            source_ip: "198.51.100.7".parse().ok(),
            received_at: 0,
        };
        verify(&req, &channel)
    }

    #[test]
    fn the_shared_secret_in_x_api_key_is_accepted_and_anything_else_refused() {
        let creds = json!({"webhook_secret": "whs_0123"});
        assert_eq!(
            check(&[("x-api-key", "whs_0123")], creds.clone(), json!({})),
            Ok(())
        );
        assert_eq!(
            check(&[("x-api-key", "whs_0124")], creds.clone(), json!({})),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            check(&[("x-api-key", "whs_012")], creds.clone(), json!({})),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            check(&[], creds, json!({})),
            Err(VerifyError::MissingSignature("X-API-Key"))
        );
    }

    #[test]
    fn a_channel_without_a_secret_accepts_nothing_not_even_an_empty_header() {
        assert_eq!(
            check(&[("x-api-key", "")], json!({}), json!({})),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            check(
                &[("x-api-key", "")],
                json!({"webhook_secret": ""}),
                json!({})
            ),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn an_allow_list_refuses_other_sources_even_with_the_right_secret() {
        let creds = json!({"webhook_secret": "whs"});
        let listed = json!({"allowed_source_ips": ["198.51.100.0/24"]});
        assert_eq!(
            check(&[("x-api-key", "whs")], creds.clone(), listed),
            Ok(())
        );
        let other = json!({"allowed_source_ips": ["203.0.113.0/24"]});
        assert_eq!(
            check(&[("x-api-key", "whs")], creds, other),
            Err(VerifyError::SourceNotAllowed("198.51.100.7".into()))
        );
    }
}

//! Chatlio signs nothing and sends no secret header; the webhook key in the URL was matched by
//! the gateway, and the optional source allow list is checked here.

use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    // Chatlio publishes no address ranges, so the list is whatever the operator observed or
    // their own egress proxy; without one, any source is allowed.
    allowlist::check(channel.settings, req.source_ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn check(settings: Value, ip: &str) -> Result<(), VerifyError> {
        let settings: Map<String, Value> = settings.as_object().cloned().unwrap_or_default();
        let empty = Map::new();
        let channel = ChannelContext {
            credentials: &empty,
            settings: &settings,
        };
        let req = InboundRequest {
            topic: Some("transcript"),
            headers: &[],
            body: b"{}",
            source_ip: ip.parse().ok(),
            received_at: 0,
        };
        verify(&req, &channel)
    }

    #[test]
    fn any_source_is_accepted_unless_the_operator_set_an_allow_list() {
        assert_eq!(check(json!({}), "198.51.100.7"), Ok(()));
        let listed = json!({"allowed_source_ips": ["198.51.100.0/24"]});
        assert_eq!(check(listed.clone(), "198.51.100.7"), Ok(()));
        assert_eq!(
            check(listed, "203.0.113.9"),
            Err(VerifyError::SourceNotAllowed("203.0.113.9".into()))
        );
    }
}

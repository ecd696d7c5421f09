//! The `verify` + `normalize` property every connector must hold, whatever the request.

use omnigate_connector_core::{
    ChannelContext, Connector, EventType, InboundRequest, NormalizedEvent, VerifyError,
};
use serde_json::{Map, Value};

/// The clock the targets run at (seconds); signed timestamps are made against it.
pub const NOW: i64 = 1_795_170_000;

/// A channel as the gateway hands it to a connector.
pub struct Channel {
    pub credentials: Map<String, Value>,
    pub settings: Map<String, Value>,
}

impl Channel {
    /// A channel of `connector` with its example credentials.
    pub fn example(connector: &dyn Connector) -> Channel {
        Channel {
            credentials: connector.example_credentials(),
            settings: Map::new(),
        }
    }
}

/// One request through a connector, as the gateway makes it.
pub struct Request<'a> {
    pub topic: Option<&'a str>,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// What an event costs to keep: the bytes of everything it carries.
fn size(e: &NormalizedEvent) -> usize {
    let json = |v: Result<Vec<u8>, _>| v.map(|b: Vec<u8>| b.len()).unwrap_or(0);
    e.conversation_ref.as_ref().map_or(0, String::len)
        + e.dedup_key.as_ref().map_or(0, String::len)
        + json(serde_json::to_vec(&e.contact))
        + json(serde_json::to_vec(&e.message))
        + json(serde_json::to_vec(&e.provider_event))
}

/// Runs verify, normalize and redact_raw on one request and checks what the gateway relies on:
/// no panic (the caller's harness catches one), verify's answer when the request is known to be
/// genuine, at least one event, output bounded by the input, and a kept body without the
/// channel's in-body secret.
pub fn check(
    connector: &dyn Connector,
    channel: &Channel,
    req: &Request<'_>,
    genuine: bool,
) -> Result<Vec<NormalizedEvent>, String> {
    let ctx = ChannelContext {
        credentials: &channel.credentials,
        settings: &channel.settings,
    };
    let inbound = InboundRequest {
        topic: req.topic,
        headers: req.headers,
        body: req.body,
        source_ip: "203.0.113.5".parse().ok(),
        received_at: NOW,
    };
    let verified: Result<(), VerifyError> = connector.verify(&inbound, &ctx);
    if genuine {
        if let Err(e) = &verified {
            return Err(format!("a genuine request was refused: {e}"));
        }
    }
    if let Err(e) = &verified {
        if e.code().is_empty() {
            return Err("a refusal without a code".into());
        }
    }
    let events = connector.normalize(&inbound, &ctx);
    if events.is_empty() {
        return Err("normalize returned no event".into());
    }
    let total: usize = events.iter().map(size).sum();
    let bound = 16 * req.body.len() + 64 * 1024;
    if total > bound {
        return Err(format!(
            "{} events of {total} bytes from a {}-byte body",
            events.len(),
            req.body.len()
        ));
    }
    if events.len() > 1 + req.body.len() / 8 {
        return Err(format!(
            "{} events from {} bytes",
            events.len(),
            req.body.len()
        ));
    }
    for e in &events {
        if e.event_type == EventType::ProviderUnrecognized && e.message.is_some() {
            return Err("an unrecognized event carries a message".into());
        }
    }
    if verified.is_ok() {
        if let Some(kept) = connector.redact_raw(req.body) {
            if let Some(field) = secret_kept(connector, channel, &kept) {
                return Err(format!("the kept body still holds the channel's {field}"));
            }
        }
    }
    Ok(events)
}

/// The secret credential whose value the kept body still holds, if any: a provider that puts
/// a secret inside its bodies (LiveChat's `secret_key`) must redact it. Short values are
/// skipped, since any body may contain them by chance.
fn secret_kept(connector: &dyn Connector, channel: &Channel, kept: &[u8]) -> Option<&'static str> {
    connector.secret_fields().iter().copied().find(|field| {
        channel
            .credentials
            .get(*field)
            .and_then(Value::as_str)
            .filter(|secret| secret.len() >= 8)
            .is_some_and(|secret| kept.windows(secret.len()).any(|w| w == secret.as_bytes()))
    })
}

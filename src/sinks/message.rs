//! What a broker receives for one event: the body a webhook destination would receive (the
//! `{type, timestamp, data}` envelope, with `raw` when the destination asks for it), and the
//! event's id, type, channel and conversation as headers (NATS and AMQP headers, Redis stream
//! fields), so a consumer routes and de-duplicates without parsing the body. Nothing is signed:
//! inside a broker the consumer trusts the broker's own authentication.

use crate::domain::destination::Destination;
use crate::domain::envelope::with_raw;
use crate::store::DeliveryJob;

/// The header (or stream field) names, the same for every broker.
pub const EVENT_ID: &str = "omnigate-event-id";
pub const EVENT_TYPE: &str = "omnigate-event-type";
pub const CHANNEL: &str = "omnigate-channel";
pub const CONVERSATION: &str = "omnigate-conversation";

/// What a placeholder renders to when the event has no such value (a channel's state change has
/// no conversation).
pub const NONE: &str = "none";

/// One event as a broker message.
#[derive(Debug, Clone)]
pub struct Message {
    pub event_id: String,
    pub event_type: String,
    pub channel: String,
    pub conversation: String,
    /// The channel's provider (`naver_talktalk`, ...), for templates.
    pub provider: String,
    /// The JSON envelope.
    pub body: Vec<u8>,
}

impl Message {
    pub fn of(dest: &Destination, job: &DeliveryJob) -> Message {
        let envelope = &job.envelope;
        let text = |pointer: &str| {
            envelope
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .unwrap_or(NONE)
                .to_string()
        };
        Message {
            event_id: job.event_id.to_string(),
            event_type: text("/type"),
            channel: text("/data/channel/id"),
            conversation: text("/data/conversation/id"),
            provider: text("/data/channel/provider"),
            body: with_raw(envelope.clone(), job.raw.as_deref(), dest.include_raw)
                .to_string()
                .into_bytes(),
        }
    }

    /// The headers every broker gets, in this order.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            (EVENT_ID, &self.event_id),
            (EVENT_TYPE, &self.event_type),
            (CHANNEL, &self.channel),
            (CONVERSATION, &self.conversation),
        ]
    }
}

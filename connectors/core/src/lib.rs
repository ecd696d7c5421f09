//! The omnigate connector contract and normalized event model.
//!
//! Every provider crate implements [`Connector`]; the gateway owns all I/O (HTTP, storage,
//! delivery) and calls connectors as pure functions of (headers, raw body, channel config).

pub mod allowlist;
pub mod connector;
pub mod credentials;
pub mod enrich;
pub mod event;
pub mod fields;
pub mod outbound;
pub mod reply;
pub mod signature;
#[cfg(feature = "testing")]
pub mod testing;

pub use connector::{
    ApprovalExtras, ChannelContext, ConfigError, Connector, EchoKey, InboundRequest, SignedRequest,
    VerifyError, REQUEST_URL_HEADER,
};
pub use credentials::{CredentialField, FieldKind};
pub use enrich::{EnrichContext, Enrichment};
pub use event::{Contact, Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent};
pub use outbound::{Button, Card, OutboundContent, QuickReply};
pub use reply::{
    CallOutcome, Capabilities, Method, ProviderCall, RateLimit, ReplyContext, ReplyError,
};

//! omnigate: an omnichannel connector gateway. Provider webhooks in, verified and normalized,
//! stored durably, forwarded to helpdesks as Standard Webhooks.

pub mod cli;
pub mod config;
pub mod connectors;
pub mod console;
pub mod crypto;
pub mod domain;
pub mod egress;
pub mod enrich;
pub mod error;
pub mod files;
pub mod forwarder;
pub mod helpdesk;
pub mod http;
pub mod ids;
pub mod ingress;
pub mod kinds;
pub mod relay;
pub mod routing;
pub mod sinks;
pub mod startup;
pub mod store;
pub mod telemetry;

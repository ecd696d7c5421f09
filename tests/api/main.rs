//! Black-box tests of the running gateway: each test starts its own gateway (own data
//! directory, port 0) and drives it over HTTP, with a fake helpdesk behind wiremock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fake_chatwoot;
mod helpers;
mod process;

mod admin;
mod agents;
mod channels;
mod chatlio;
mod chatwoot;
mod chatwoot_helpdesk;
mod cli;
mod console;
mod crisp;
mod durability;
mod event_stream;
mod first_hour;
mod forwarding;
mod hardening;
mod hubspot;
mod ingest;
mod jivochat;
mod lifecycle;
mod livechat;
mod liveperson;
mod observability;
mod openapi;
mod provider_kit;
mod readmes;
mod relay;
mod retries;
mod signatures;
mod smartsupp;
mod streams;
mod tawkto;
mod tidio;
mod zendesk_sunshine;

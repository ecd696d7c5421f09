//! The fuzz targets, driven by the gateway's connector registry: every registered connector's
//! verify + normalize, and the reply rendering of every connector that relays replies. A new
//! provider is fuzzed as soon as it is registered. Inputs per connector: `PROPTEST_CASES`
//! (256 by default); `scripts/fuzz-long.sh` runs a million or more each. `FUZZ_PROVIDERS`
//! (comma-separated ids) limits a run to some connectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omnigate::connectors::Registry;
use omnigate_connector_core::{Connector, SignedRequest};
use omnigate_fuzz::inbound::{self, Channel, Request, NOW};
use omnigate_fuzz::inputs::{body, fixtures, headers};
use omnigate_fuzz::{config, replies, Counter};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::Value;

// A process-wide allocation cap: an input that makes a connector allocate without bound fails
// the run instead of exhausting the machine.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, 1 << 30);

/// The registered connectors this run covers (all, unless `FUZZ_PROVIDERS` names some).
fn connectors() -> Vec<&'static dyn Connector> {
    let only = std::env::var("FUZZ_PROVIDERS").ok();
    let registry = Registry::default();
    let all: Vec<&'static dyn Connector> = registry
        .providers()
        .into_iter()
        .filter_map(|id| registry.get(id))
        .collect();
    assert!(!all.is_empty(), "the registry lists connectors");
    match only {
        None => all,
        Some(list) => {
            let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
            all.into_iter()
                .filter(|c| wanted.contains(&c.provider()))
                .collect()
        }
    }
}

/// Every header name a registered provider signs with, so hostile headers reach verify's
/// parsing of them.
fn signature_headers() -> Vec<String> {
    let mut names: Vec<String> = connectors()
        .iter()
        .filter_map(|c| c.sign_request(&c.example_credentials(), b"{}", NOW))
        .flat_map(|r| r.headers.into_iter().map(|(k, _)| k))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether the provider signs nothing: its genuine request is the body alone, so any headers
/// a client adds leave it genuine (the webhook key in the URL was the check).
fn signs_nothing(connector: &dyn Connector, channel: &Channel) -> bool {
    connector.sign_request(&channel.credentials, b"{}", NOW)
        == Some(SignedRequest {
            headers: Vec::new(),
            body: b"{}".to_vec(),
        })
}

/// The topic a case posts to: each known topic, one the provider does not have, and (twice as
/// often) the bare URL.
fn topic(topics: &'static [&'static str], t: usize) -> Option<&'static str> {
    match t.checked_sub(topics.len()) {
        None => Some(topics[t]),
        Some(0) if !topics.is_empty() => Some("nope"),
        Some(_) => None,
    }
}

fn fuzz_inbound(connector: &dyn Connector, names: &[String]) {
    let id = connector.provider();
    let channel = Channel::example(connector);
    let unsigned_is_genuine = signs_nothing(connector, &channel);
    let topics = connector.topics();
    let counter = Counter::new();
    let cases = (
        body(fixtures(id)),
        headers(names.to_vec()),
        any::<bool>(),
        0..topics.len() + 3,
    );
    let mut runner = TestRunner::new(config());
    let result = runner.run(&cases, |(body, headers, sign, t)| {
        counter.hit();
        // Either the request exactly as the provider signs it, or hostile headers.
        let signed = sign
            .then(|| connector.sign_request(&channel.credentials, &body, NOW))
            .flatten();
        let (headers, body, genuine) = match signed {
            Some(r) => (r.headers, r.body, true),
            None => (headers, body, unsigned_is_genuine),
        };
        let req = Request {
            topic: topic(topics, t),
            headers: &headers,
            body: &body,
        };
        inbound::check(connector, &channel, &req, genuine)
            .map(|_| ())
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{id} inbound: {e}");
    }
    counter.report(&format!("{id} inbound"));
}

fn fuzz_replies(connector: &dyn Connector) {
    let id = connector.provider();
    // A channel's own outbound URL (Chatwoot's base_url) wins over the configured API base:
    // make them the same, so every call is held to the base.
    let mut credentials = connector.example_credentials();
    let urls: Vec<&'static str> = connector
        .outbound_urls(&credentials)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for field in urls {
        credentials.insert(field.into(), Value::from(replies::API_BASE));
    }
    let counter = Counter::new();
    let cases = (replies::content(), replies::recipient(), replies::answer());
    let mut runner = TestRunner::new(config());
    let result = runner.run(&cases, |(content, recipient, answer)| {
        counter.hit();
        replies::check(connector, &credentials, &recipient, &content, &answer)
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{id} replies: {e}");
    }
    counter.report(&format!("{id} replies"));
}

#[test]
fn every_connector_verify_and_normalize_survive_hostile_input() {
    let names = signature_headers();
    for connector in connectors() {
        fuzz_inbound(connector, &names);
    }
}

#[test]
fn every_relaying_connector_reply_rendering_survives_hostile_content() {
    let relaying: Vec<&'static dyn Connector> = connectors()
        .into_iter()
        .filter(|c| c.capabilities().replies)
        .collect();
    assert!(
        !relaying.is_empty() || std::env::var("FUZZ_PROVIDERS").is_ok(),
        "some registered connector relays replies"
    );
    for connector in relaying {
        fuzz_replies(connector);
    }
}

#[test]
fn the_topic_choice_covers_every_topic_an_unknown_one_and_the_bare_url() {
    let topics: &'static [&'static str] = &["a", "b"];
    let chosen: Vec<Option<&str>> = (0..topics.len() + 3).map(|t| topic(topics, t)).collect();
    assert_eq!(chosen, [Some("a"), Some("b"), Some("nope"), None, None]);
    let bare: Vec<Option<&str>> = (0..3).map(|t| topic(&[], t)).collect();
    assert_eq!(bare, [None, None, None]);
}

//! One fuzz target per connector's verify + normalize and per reply renderer. Inputs per target:
//! `PROPTEST_CASES` (256 by default); `scripts/fuzz-long.sh` runs a million or more each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omnigate_connector_core::Connector;
use omnigate_fuzz::inbound::{self, Channel, Request, NOW};
use omnigate_fuzz::inputs::{body, fixtures, headers};
use omnigate_fuzz::{config, replies, Counter};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// A process-wide allocation cap: an input that makes a connector allocate without bound fails
// the run instead of exhausting the machine.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, 1 << 30);

/// A request either signed exactly as the provider would (`genuine`) or with hostile headers.
fn inbound_case(crate_dir: &str) -> impl Strategy<Value = (Vec<u8>, Vec<(String, String)>, bool)> {
    (body(fixtures(crate_dir)), headers(), any::<bool>())
}

fn run_inbound(
    connector: &dyn Connector,
    channel: &Channel,
    topic: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    genuine: bool,
) -> Result<(), TestCaseError> {
    let req = Request {
        topic,
        headers,
        body,
    };
    inbound::check(connector, channel, &req, genuine)
        .map(|_| ())
        .map_err(TestCaseError::fail)
}

fn creds(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

static NAVER_IN: Counter = Counter::new();
static CHATLIO_IN: Counter = Counter::new();
static CHATWOOT_IN: Counter = Counter::new();
static CRISP_IN: Counter = Counter::new();
static TAWKTO_IN: Counter = Counter::new();
static SUNSHINE_IN: Counter = Counter::new();
static LIVECHAT_IN: Counter = Counter::new();
static NAVER_OUT: Counter = Counter::new();
static CHATWOOT_OUT: Counter = Counter::new();
static CRISP_OUT: Counter = Counter::new();
static SUNSHINE_OUT: Counter = Counter::new();
static LIVECHAT_OUT: Counter = Counter::new();

const CHATWOOT_SECRET: &str = "cw-webhook-secret-5b1d";
const CRISP_SECRET: &str = "crisp-plugin-signing-secret-71c2";
const TAWK_SECRET: &str = "tawk-webhook-secret-3e9a";
const SUNSHINE_SECRET: &str = "sunshine-webhook-secret-9c1f";
const LIVECHAT_SECRET: &str = "livechat-webhook-secret-4d2e";

#[test]
fn naver_talktalk_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"account_id": "wc8b1i", "send_api_key": "ct_key"}));
    proptest!(config(), |((body, headers, _) in inbound_case("naver-talktalk"))| {
        NAVER_IN.hit();
        // Naver signs nothing: the webhook key was the check, so every body is genuine.
        run_inbound(&omnigate_naver_talktalk::NaverTalkTalk, &channel, None, &headers, &body, true)?;
    });
    NAVER_IN.report("naver_talktalk inbound");
}

#[test]
fn chatlio_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({}));
    let topics = omnigate_chatlio::TOPICS;
    proptest!(config(), |((body, headers, _) in inbound_case("chatlio"), t in 0usize..8)| {
        CHATLIO_IN.hit();
        // Known topics, a topic the provider does not have, and the bare URL.
        let topic = match t { 5 => Some("nope"), 6 | 7 => None, i => Some(topics[i]) };
        run_inbound(&omnigate_chatlio::Chatlio, &channel, topic, &headers, &body, true)?;
    });
    CHATLIO_IN.report("chatlio inbound");
}

#[test]
fn chatwoot_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"base_url": "https://chat.example", "account_id": 7,
        "api_access_token": "cw-token", "webhook_secret": CHATWOOT_SECRET}));
    proptest!(config(), |((body, mut headers, signed) in inbound_case("chatwoot"))| {
        CHATWOOT_IN.hit();
        if signed {
            let ts = NOW.to_string();
            headers = vec![
                ("x-chatwoot-signature".into(), omnigate_chatwoot::signature(CHATWOOT_SECRET, &ts, &body)),
                ("x-chatwoot-timestamp".into(), ts),
                ("x-chatwoot-delivery".into(), "6f0e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b".into()),
            ];
        }
        run_inbound(&omnigate_chatwoot::Chatwoot, &channel, None, &headers, &body, signed)?;
    });
    CHATWOOT_IN.report("chatwoot inbound");
}

#[test]
fn crisp_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
        "identifier": "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b", "key": "crisp-plugin-key",
        "signing_secret": CRISP_SECRET}));
    proptest!(config(), |((body, mut headers, signed) in inbound_case("crisp"))| {
        CRISP_IN.hit();
        if signed {
            let ts = (NOW * 1000).to_string();
            headers = vec![
                ("x-crisp-signature".into(), omnigate_crisp::signature(CRISP_SECRET, &ts, &body)),
                ("x-crisp-request-timestamp".into(), ts),
            ];
        }
        run_inbound(&omnigate_crisp::Crisp, &channel, None, &headers, &body, signed)?;
    });
    CRISP_IN.report("crisp inbound");
}

#[test]
fn tawkto_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"webhook_secret": TAWK_SECRET}));
    proptest!(config(), |((body, mut headers, signed) in inbound_case("tawkto"))| {
        TAWKTO_IN.hit();
        if signed {
            headers = vec![
                ("x-tawk-signature".into(), omnigate_tawkto::signature(TAWK_SECRET, &body)),
                ("x-hook-event-id".into(), "2f8e6d4c-1a3b-4c5d-8e7f-9a0b1c2d3e4f".into()),
            ];
        }
        run_inbound(&omnigate_tawkto::Tawkto, &channel, None, &headers, &body, signed)?;
    });
    TAWKTO_IN.report("tawkto inbound");
}

#[test]
fn zendesk_sunshine_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"app_id": "6a1f0c2b9d4e8a7b3c5d1e2f",
        "key_id": "app_5f4eaef81e3dcc117c7ba48b", "key_secret": "sk-Zx9",
        "webhook_secret": SUNSHINE_SECRET}));
    proptest!(config(), |((body, mut headers, signed) in inbound_case("zendesk-sunshine"))| {
        SUNSHINE_IN.hit();
        if signed {
            headers = vec![("x-api-key".into(), SUNSHINE_SECRET.into())];
        }
        run_inbound(&omnigate_zendesk_sunshine::ZendeskSunshine, &channel, None, &headers, &body, signed)?;
    });
    SUNSHINE_IN.report("zendesk_sunshine inbound");
}

#[test]
fn livechat_verify_and_normalize_survive_hostile_input() {
    let channel = Channel::new(json!({"webhook_secret": LIVECHAT_SECRET,
        "access_token": "dal:Zx9-token"}));
    proptest!(config(), |((mut body, headers, signed) in inbound_case("livechat"))| {
        LIVECHAT_IN.hit();
        // LiveChat's secret travels inside the body: put it into bodies that are JSON objects.
        let mut genuine = false;
        if signed {
            if let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&body) {
                map.insert("secret_key".into(), json!(LIVECHAT_SECRET));
                body = serde_json::to_vec(&map).unwrap();
                genuine = true;
            }
        }
        run_inbound(&omnigate_livechat::LiveChat, &channel, None, &headers, &body, genuine)?;
    });
    LIVECHAT_IN.report("livechat inbound");
}

fn run_replies(connector: &dyn Connector, credentials: Value, counter: &Counter) {
    let credentials = creds(credentials);
    proptest!(config(), |(
        content in replies::content(),
        recipient in replies::recipient(),
        answer in replies::answer(),
    )| {
        counter.hit();
        replies::check(connector, &credentials, &recipient, &content, &answer)
            .map_err(TestCaseError::fail)?;
    });
}

#[test]
fn naver_talktalk_reply_rendering_survives_hostile_content() {
    run_replies(
        &omnigate_naver_talktalk::NaverTalkTalk,
        json!({"account_id": "wc8b1i", "send_api_key": "ct_key"}),
        &NAVER_OUT,
    );
    NAVER_OUT.report("naver_talktalk replies");
}

#[test]
fn chatwoot_reply_rendering_survives_hostile_content() {
    // A channel's own base_url wins over the configured API base: make them the same.
    run_replies(
        &omnigate_chatwoot::Chatwoot,
        json!({"base_url": replies::API_BASE, "account_id": 7,
               "api_access_token": "cw-token", "webhook_secret": CHATWOOT_SECRET}),
        &CHATWOOT_OUT,
    );
    CHATWOOT_OUT.report("chatwoot replies");
}

#[test]
fn crisp_reply_rendering_survives_hostile_content() {
    run_replies(
        &omnigate_crisp::Crisp,
        json!({"website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
               "identifier": "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b", "key": "crisp-plugin-key",
               "signing_secret": CRISP_SECRET}),
        &CRISP_OUT,
    );
    CRISP_OUT.report("crisp replies");
}

#[test]
fn zendesk_sunshine_reply_rendering_survives_hostile_content() {
    run_replies(
        &omnigate_zendesk_sunshine::ZendeskSunshine,
        json!({"app_id": "6a1f0c2b9d4e8a7b3c5d1e2f", "key_id": "app_5f4eaef81e3dcc117c7ba48b",
               "key_secret": "sk-Zx9", "webhook_secret": SUNSHINE_SECRET}),
        &SUNSHINE_OUT,
    );
    SUNSHINE_OUT.report("zendesk_sunshine replies");
}

#[test]
fn livechat_reply_rendering_survives_hostile_content() {
    run_replies(
        &omnigate_livechat::LiveChat,
        json!({"webhook_secret": LIVECHAT_SECRET, "access_token": "dal:Zx9-token"}),
        &LIVECHAT_OUT,
    );
    LIVECHAT_OUT.report("livechat replies");
}

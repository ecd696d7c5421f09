//! Secrets stay secret: the real binary logging at debug level is driven through every part of
//! the API with planted credentials, signing secrets and tokens; afterwards none of them is in
//! its logs, in any API answer (beyond the one that shows a new secret once), or in the data
//! directory, and a LiveChat secret sent inside a body never reaches the helpdesk.

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const NAVER_KEY: &str = "ct_wc8b1i_PLANTEDnaverSendKey7Q";
const CW_TOKEN: &str = "PLANTED-cw-channel-token-5d1";
const CW_SECRET: &str = "PLANTED-cw-webhook-secret-88e";
const CRISP_KEY: &str = "PLANTED-crisp-plugin-key-0c2";
const CRISP_SECRET: &str = "PLANTED-crisp-signing-secret-a41";
const SUN_KEY: &str = "PLANTED-sunshine-key-secret-77b";
const SUN_SECRET: &str = "PLANTED-sunshine-webhook-secret-e90";
const LC_SECRET: &str = "PLANTED-livechat-webhook-secret-3f3";
const LC_TOKEN: &str = "dal:PLANTED-livechat-token-19a";
const TAWK_SECRET: &str = "PLANTED-tawk-secret-6cd";
const DEST_TOKEN: &str = "PLANTED-cw-destination-token-2b8";
const DEST_SECRET: &str = "PLANTED-cw-inbox-secret-d07";

/// Every call made, with its answer, so all answers can be searched afterwards.
struct Recorder {
    app: TestApp,
    answers: Vec<String>,
}

impl Recorder {
    async fn call(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.app.call(method, path, body).await;
        assert!(status < 500, "{path}: {status} {v}");
        self.answers.push(v.to_string());
        v
    }

    async fn post(&mut self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&mut self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Registers and approves a channel; returns (id, webhook URL).
    async fn channel(&mut self, provider: &str, credentials: Value) -> (String, String) {
        let ch = self
            .app
            .approved_channel(provider, credentials, Value::Null)
            .await;
        self.answers.push(ch.created.to_string());
        self.answers.push(ch.approval.to_string());
        let url = ch.url();
        (ch.id, url)
    }
}

fn livechat_body(secret: &str) -> Vec<u8> {
    let path = format!(
        "{}/connectors/livechat/tests/fixtures/incoming-event-customer-text.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["secret_key"] = json!(secret);
    serde_json::to_vec(&v).unwrap()
}

fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_never_reach_logs_answers_or_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let naver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"success":true,"resultCode":"00"}"#),
        )
        .mount(&naver)
        .await;
    let sink = helpdesk_ok().await;
    let log = logs.path().join("gateway.log");
    let gw = GatewayProcess::builder()
        .data(data.path())
        .env("OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE", naver.uri())
        .retries("0s,200ms")
        .env("RUST_LOG", "debug")
        .logs_to(&log)
        .spawn()
        .await;
    let mut r = Recorder {
        app: gw.app(),
        answers: Vec::new(),
    };

    // Channels of every provider, with planted credentials.
    let (naver_id, naver_hook) = r
        .channel(
            "naver_talktalk",
            json!({"account_id": "wc8b1i", "send_api_key": NAVER_KEY}),
        )
        .await;
    let (_, cw_hook) = r
        .channel(
            "chatwoot",
            json!({"base_url": "https://chat.example.com", "account_id": 7,
                                    "api_access_token": CW_TOKEN, "webhook_secret": CW_SECRET}),
        )
        .await;
    r.channel(
        "crisp",
        json!({"website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
                              "identifier": "7b0c5e2a-94d1-4f3b-a8e6-1c2d3e4f5a6b",
                              "key": CRISP_KEY, "signing_secret": CRISP_SECRET}),
    )
    .await;
    let (_, sun_hook) = r
        .channel(
            "zendesk_sunshine",
            json!({"app_id": "6a1f0c2b9d4e8a7b3c5d1e2f",
                                            "key_id": "app_5f4eaef81e3dcc117c7ba48b",
                                            "key_secret": SUN_KEY, "webhook_secret": SUN_SECRET}),
        )
        .await;
    let (lc_id, lc_hook) = r
        .channel(
            "livechat",
            json!({"webhook_secret": LC_SECRET, "access_token": LC_TOKEN}),
        )
        .await;
    r.channel("tawkto", json!({"webhook_secret": TAWK_SECRET}))
        .await;

    // Destinations: a signed webhook (its secret shown once) and a Chatwoot inbox.
    let created = r
        .post(
            "/v1/destinations",
            json!({"url": sink.uri(), "include_raw": true}),
        )
        .await;
    let whsec = created["secret"].as_str().unwrap().to_string();
    let shown_once = r.answers.pop().unwrap();
    r.answers.push(shown_once.replace(&whsec, "<shown once>"));
    r.post(
        "/v1/destinations",
        json!({"kind": "chatwoot", "base_url": "https://chat.example.com",
                                      "account_id": 3, "inbox_id": 9,
                                      "api_access_token": DEST_TOKEN, "inbox_secret": DEST_SECRET}),
    )
    .await;
    let minted = r
        .post("/v1/tokens", json!({"role": "helpdesk", "label": "Acme"}))
        .await;
    let helpdesk_token = minted["token"].as_str().unwrap().to_string();
    let shown_once = r.answers.pop().unwrap();
    r.answers
        .push(shown_once.replace(&helpdesk_token, "<shown once>"));

    // Webhooks: genuine, forged with the right secret in the wrong place, and refused.
    assert_eq!(
        post_hook(&naver_hook, naver_text("u1", "hello"))
            .await
            .status(),
        200
    );
    let client = reqwest::Client::new();
    let lc = client
        .post(&lc_hook)
        .body(livechat_body(LC_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(lc.status(), 200);
    let lc = client
        .post(&lc_hook)
        .body(livechat_body("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(lc.status(), 401);
    let sun = client
        .post(&sun_hook)
        .header("x-api-key", format!("{SUN_SECRET}x"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(sun.status(), 401);
    let ts = chrono::Utc::now().timestamp().to_string();
    let cw = client
        .post(&cw_hook)
        .header("x-chatwoot-timestamp", &ts)
        .header(
            "x-chatwoot-signature",
            omnigate_chatwoot::signature("other", &ts, b"{}"),
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(cw.status(), 401);

    // A reply relayed with the helpdesk token.
    let events = r
        .get(&format!(
            "/v1/events?channel={naver_id}&type=message.received"
        ))
        .await;
    let conversation = events["items"][0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = client
        .post(format!(
            "{}/v1/conversations/{conversation}/messages",
            r.app.base
        ))
        .bearer_auth(&helpdesk_token)
        .json(&json!({"content": {"type": "text", "text": "on its way"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    let message: Value = reply.json().await.unwrap();
    eventually(15, "the reply to reach the provider", || async {
        (!naver.received_requests().await.unwrap().is_empty()).then_some(())
    })
    .await;
    // Every delivery the sink is owed: Naver's message, LiveChat's (the one whose body carried
    // the secret) and the reply's outcome; only then is "the sink never saw the secret" a check.
    eventually(15, "every delivery to the helpdesk", || async {
        let got: Vec<Value> = sink
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        let has = |provider: &str, kind: &str| {
            got.iter()
                .any(|p| p["type"] == kind && p["data"]["channel"]["provider"] == provider)
        };
        (has("naver_talktalk", "message.received")
            && has("livechat", "message.received")
            && has("naver_talktalk", "message.delivered"))
        .then_some(())
    })
    .await;

    // Read everything back.
    for path in [
        "/v1/channels".to_string(),
        "/v1/destinations".to_string(),
        "/v1/tokens".to_string(),
        "/v1/deliveries".to_string(),
        "/v1/providers".to_string(),
        "/v1/events?include_raw=true&limit=500".to_string(),
        format!("/v1/channels/{lc_id}"),
        format!("/v1/channels/{naver_id}/history"),
        format!("/v1/messages/{}", message["id"].as_str().unwrap()),
    ] {
        r.get(&path).await;
    }
    let listed = r.get("/v1/destinations").await;
    for d in listed["items"].as_array().unwrap() {
        r.get(&format!("/v1/destinations/{}", d["id"].as_str().unwrap()))
            .await;
    }
    let webhook_keys: Vec<&str> = [&naver_hook, &cw_hook, &sun_hook, &lc_hook]
        .iter()
        .filter_map(|u| u.rsplit('/').next())
        .collect();
    r.answers.push(
        reqwest::get(format!("{}/metrics", r.app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );

    // Stop it: a graceful stop flushes the logs.
    assert!(gw.terminate().await.success(), "a graceful stop");
    let log = std::fs::read(&log).unwrap();
    assert!(
        contains(&log, "DEBUG"),
        "the log ran at debug level: {} bytes",
        log.len()
    );
    let planted = [
        NAVER_KEY,
        CW_TOKEN,
        CW_SECRET,
        CRISP_KEY,
        CRISP_SECRET,
        SUN_KEY,
        SUN_SECRET,
        LC_SECRET,
        LC_TOKEN,
        TAWK_SECRET,
        DEST_TOKEN,
        DEST_SECRET,
        &whsec,
        &helpdesk_token,
        TOKEN,
    ];
    let files = files_under(data.path());
    for secret in planted {
        assert!(!contains(&log, secret), "{secret} is in the logs");
        for answer in &r.answers {
            assert!(
                !answer.contains(secret),
                "{secret} is in an answer: {answer}"
            );
        }
        for (name, bytes) in &files {
            assert!(!contains(bytes, secret), "{secret} is in {name}");
        }
    }
    for key in &webhook_keys {
        assert!(!contains(&log, key), "a webhook key is in the logs");
    }
    for req in sink.received_requests().await.unwrap() {
        assert!(
            !contains(&req.body, LC_SECRET),
            "the helpdesk received LiveChat's secret"
        );
    }
}

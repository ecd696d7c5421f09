//! Shared test harness: spawn a gateway, talk to its API, run a fake helpdesk, verify what it
//! received with the Standard Webhooks reference implementation.

use std::time::Duration;

use omnigate::config::Settings;
use omnigate::startup::Application;
use serde_json::{json, Value};
use tempfile::TempDir;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub use crate::process::{eventually, free_port, GatewayProcess};

pub const TOKEN: &str = crate::process::ADMIN_TOKEN;
pub const SEND_API_KEY: &str = "ct_wc8b1i_Pb1AXDQ0RZWuCccpzdNL";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// The data directory.
    pub data: std::path::PathBuf,
    /// Keeps an in-process gateway's temporary directory alive.
    _dir: Option<TempDir>,
}

pub fn fast_settings(dir: &TempDir) -> Settings {
    let mut s = Settings::defaults().expect("defaults parse");
    s.server.port = 0;
    s.store.path = dir.path().to_path_buf();
    s.admin.token = TOKEN.into();
    s.delivery.retry_schedule = vec![
        Duration::ZERO,
        Duration::from_millis(200),
        Duration::from_millis(200),
    ];
    s.delivery.jitter = 0.0;
    s.delivery.request_timeout = Duration::from_secs(2);
    s.server.shutdown_timeout = Duration::from_secs(2);
    // The fakes listen on loopback.
    s.security.allow_private_destinations = true;
    // OMNIGATE_TEST_STORE=redis runs the suite on the redis engine (the Redis at REDIS_URL,
    // each gateway under its own key prefix).
    if std::env::var("OMNIGATE_TEST_STORE").as_deref() == Ok("redis") {
        s.store.kind = omnigate::config::StoreKind::Redis;
        s.redis.url =
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        s.redis.key_prefix = format!("ogtest:{}", uuid::Uuid::new_v4().simple());
        s.secrets.master_key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into();
    }
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = fast_settings(&dir);
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the gateway starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        http: reqwest::Client::new(),
        data: dir.path().to_path_buf(),
        _dir: Some(dir),
    }
}

/// A channel created and approved by [`TestApp::approved_channel`].
pub struct Channel {
    pub id: String,
    /// The answer to its creation (credentials masked).
    pub created: Value,
    /// The answer to its approval request (its webhook URL or URLs).
    pub approval: Value,
}

impl Channel {
    /// Its one webhook URL.
    pub fn url(&self) -> String {
        self.approval["webhook_url"]
            .as_str()
            .unwrap_or_else(|| panic!("one webhook URL: {}", self.approval))
            .to_string()
    }
}

impl GatewayProcess {
    /// The API of this gateway.
    pub fn app(&self) -> TestApp {
        TestApp::process(self.port, &self.data)
    }
}

impl TestApp {
    /// A gateway running as its own process, on `port`, with its data in `data`.
    pub fn process(port: u16, data: &std::path::Path) -> TestApp {
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            data: data.to_path_buf(),
            _dir: None,
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// A channel of `provider` created with `credentials` and `settings` (`null` for none) and
    /// taken through approval.
    pub async fn approved_channel(
        &self,
        provider: &str,
        credentials: Value,
        settings: Value,
    ) -> Channel {
        let mut body = json!({"provider": provider, "name": format!("{provider} channel"),
                              "credentials": credentials});
        if !settings.is_null() {
            body["settings"] = settings;
        }
        let (status, created) = self.post("/v1/channels", body).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (status, approval) = self
            .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
            .await;
        assert_eq!(status, 200, "{approval}");
        let (status, approved) = self
            .post(&format!("/v1/channels/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["state"], "approved", "{approved}");
        Channel {
            id,
            created,
            approval,
        }
    }

    pub async fn create_naver_channel(&self) -> Value {
        let (status, ch) = self
            .post(
                "/v1/channels",
                json!({"provider": "naver_talktalk", "name": "Shop",
                       "credentials": {"account_id": "wc8b1i", "send_api_key": SEND_API_KEY}}),
            )
            .await;
        assert_eq!(status, 201, "{ch}");
        ch
    }

    /// A Naver channel taken through approval; returns (channel id, webhook URL).
    pub async fn approved_naver_channel(&self) -> (String, String) {
        let ch = self
            .approved_channel(
                "naver_talktalk",
                json!({"account_id": "wc8b1i", "send_api_key": SEND_API_KEY}),
                Value::Null,
            )
            .await;
        let url = ch.url();
        (ch.id, url)
    }

    /// Registers a destination; returns (id, signing secret).
    pub async fn destination(&self, url: &str, extra: Value) -> (String, String) {
        let mut body = json!({"url": url});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (status, d) = self.post("/v1/destinations", body).await;
        assert_eq!(status, 201, "{d}");
        (
            d["id"].as_str().unwrap().to_string(),
            d["secret"].as_str().unwrap().to_string(),
        )
    }

    pub async fn deliveries(&self, query: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/v1/deliveries?{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    /// A destination's deliveries once none is queued any more (each delivered or dead).
    /// Deliveries are queued as their events are stored, so after this nothing more is on its
    /// way to that destination for the events stored so far.
    pub async fn settled_deliveries(&self, destination: &str) -> Vec<Value> {
        eventually(
            15,
            &format!("the deliveries to {destination} to settle"),
            || async {
                let all = self.deliveries(&format!("destination={destination}")).await;
                all.iter()
                    .all(|d| d["status"] == "delivered" || d["status"] == "dead")
                    .then_some(all)
            },
        )
        .await
    }
}

/// POSTs a webhook body as a provider would.
pub async fn post_hook(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json;charset=UTF-8")
        .header("user-agent", "navertalk/v1")
        .body(body)
        .send()
        .await
        .unwrap()
}

pub fn naver(event: &str, user: &str, extra: Value) -> String {
    let mut body = json!({"event": event, "user": user});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body.to_string()
}

pub fn naver_text(user: &str, text: &str) -> String {
    naver(
        "send",
        user,
        json!({"textContent": {"text": text, "inputType": "typing"}}),
    )
}

/// A fixture of `provider` (its id, e.g. `zendesk_sunshine`), from its connector crate.
pub fn fixture(provider: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/connectors/{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR"),
        omnigate_connector_core::testing::crate_dir(provider)
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A helpdesk that answers 200 to everything.
pub async fn helpdesk_ok() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// Verifies a received request with the standardwebhooks crate and returns its payload.
pub fn verified(req: &Request, secret: &str) -> Value {
    let wh = standardwebhooks::Webhook::new(secret).unwrap();
    let mut headers = http::HeaderMap::new();
    for (k, v) in req.headers.iter() {
        headers.insert(
            http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
            http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    wh.verify(&req.body, &headers)
        .expect("a valid Standard Webhooks signature");
    serde_json::from_slice(&req.body).unwrap()
}

/// The verified payloads a helpdesk has received, in arrival order.
pub async fn received(server: &MockServer, secret: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| verified(r, secret))
        .collect()
}

/// Waits until the helpdesk has received `n` requests and returns the verified payloads.
pub async fn wait_received(server: &MockServer, secret: &str, n: usize) -> Vec<Value> {
    eventually(15, &format!("{n} deliveries"), || async {
        let got = server.received_requests().await.unwrap_or_default();
        (got.len() >= n).then_some(())
    })
    .await;
    received(server, secret).await
}

pub fn types(payloads: &[Value]) -> Vec<String> {
    payloads
        .iter()
        .map(|p| p["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A channel's stored events (as the events API lists them) other than its state changes;
/// `extra` is appended to the query (e.g. `&type=message.received`).
pub async fn events_of(app: &TestApp, channel: &str, extra: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/v1/events?channel={channel}{extra}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] != "channel.state_changed")
        .cloned()
        .collect()
}

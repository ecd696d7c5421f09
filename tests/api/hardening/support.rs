//! Shared by the hardening tests: problem counters from `/metrics`, raw HTTP over TCP (to send
//! what a well-behaved client library will not), and a channel set up for each provider check.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::process::GatewayBuilder;

/// A gateway process of the test's own, with `env` on top of the defaults, on the engine the
/// suite runs on: its `/metrics` counts only this test's traffic, so counts can be exact.
pub async fn own_gateway(env: &[(&str, &str)]) -> (GatewayProcess, TestApp) {
    let prefix = format!("ogtest:{}", uuid::Uuid::new_v4().simple());
    let mut builder = on_suite_engine(GatewayProcess::builder(), &prefix);
    for (k, v) in env {
        builder = builder.env(k, *v);
    }
    let gw = builder.spawn().await;
    let app = gw.app();
    (gw, app)
}

/// `builder` on the engine the suite runs on (on Redis, under `prefix`: the same prefix for a
/// restart of the same gateway).
pub fn on_suite_engine(builder: GatewayBuilder, prefix: &str) -> GatewayBuilder {
    if std::env::var("OMNIGATE_TEST_STORE").as_deref() == Ok("redis") {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        builder.redis(&url, prefix)
    } else {
        builder
    }
}

/// The number of `code` problems answered with `status` so far, by the gateway at `app`.
pub async fn problems(app: &TestApp, code: &str, status: u16) -> f64 {
    let text = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = format!("code=\"{code}\"");
    let status = format!("status=\"{status}\"");
    text.lines()
        .filter(|l| l.starts_with("omnigate_http_problems_total{"))
        .filter(|l| l.contains(&code) && l.contains(&status))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A sent request's answer, whether or not the sender already unwrapped it.
pub trait Answered {
    fn answer(self) -> reqwest::Response;
}

impl Answered for reqwest::Response {
    fn answer(self) -> reqwest::Response {
        self
    }
}

impl Answered for reqwest::Result<reqwest::Response> {
    fn answer(self) -> reqwest::Response {
        self.unwrap()
    }
}

/// Runs `request`, then checks it was answered `status` with problem `code` and counted once
/// (`app` is a gateway of the test's own: see [`own_gateway`]).
pub async fn counted<F, Fut, R>(app: &TestApp, status: u16, code: &str, request: F) -> Value
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = R>,
    R: Answered,
{
    let before = problems(app, code, status).await;
    let resp = request().await.answer();
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/problem+json", "{code}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(
        problems(app, code, status).await,
        before + 1.0,
        "omnigate_http_problems_total counts {code} once"
    );
    body
}

/// Sends raw bytes and reads what comes back within `wait`.
pub async fn raw(base: &str, head: &[u8], body: &[u8], wait: Duration) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    // The server may answer and close before it has all of it: that is the point.
    let _ = stream.write_all(body).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                out.extend_from_slice(&buf[..n]);
                if complete(&out) {
                    break;
                }
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a raw answer holds its head and all of a `Content-Length` body.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

/// A channel's stored events other than state changes.
pub async fn stored(app: &TestApp, channel: &str) -> Vec<Value> {
    events_of(app, channel, "").await
}

pub const CHATWOOT_SECRET: &str = "cw-webhook-secret-5b1d";

/// An approved Chatwoot channel (signed webhooks); returns (id, webhook URL).
pub async fn chatwoot_channel(app: &TestApp) -> (String, String) {
    let ch = app
        .approved_channel(
            "chatwoot",
            json!({"base_url": "https://chat.example.com", "account_id": 7,
                   "api_access_token": "cw-agent-token-9f2e",
                   "webhook_secret": CHATWOOT_SECRET}),
            Value::Null,
        )
        .await;
    let url = ch.url();
    (ch.id, url)
}

pub fn chatwoot_fixture() -> Vec<u8> {
    fixture("chatwoot", "message-incoming.json")
}

/// POSTs `body` as Chatwoot does, signed with `secret` at `ts`, as delivery `delivery`.
pub async fn chatwoot_post(
    url: &str,
    body: &[u8],
    secret: Option<&str>,
    ts: i64,
    delivery: &str,
) -> reqwest::Response {
    let ts = ts.to_string();
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-delivery", delivery);
    if let Some(secret) = secret {
        req = req.header(
            "x-chatwoot-signature",
            omnigate_chatwoot::signature(secret, &ts, body),
        );
    }
    req.body(body.to_vec()).send().await.unwrap()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What a raw fake server does with a request.
#[derive(Debug, Clone)]
pub enum Misbehave {
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and resets the connection.
    Reset,
    /// Answers 200 with a 1 GiB body, as fast as it is read.
    Huge,
    /// Answers this status line, extra headers and body.
    Answer(&'static str, &'static str, &'static str),
}

/// A TCP server that misbehaves as `choose` says for each request's body. It counts the
/// requests it saw and the body bytes it managed to push for `Huge`.
pub struct RawServer {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub pushed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RawServer {
    pub async fn start(choose: fn(&str) -> Misbehave) -> RawServer {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let pushed = Arc::new(AtomicUsize::new(0));
        let (r, p) = (requests.clone(), pushed.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (r, p) = (r.clone(), p.clone());
                tokio::spawn(async move {
                    let Some(body) = read_request(&mut stream).await else {
                        return;
                    };
                    r.fetch_add(1, Ordering::SeqCst);
                    match choose(&body) {
                        Misbehave::Hang => {
                            tokio::time::sleep(Duration::from_secs(120)).await;
                            drop(stream);
                        }
                        Misbehave::Reset => {
                            // Linger 0 resets at once; the drop does not block.
                            #[allow(deprecated)]
                            let _ = stream.set_linger(Some(Duration::ZERO));
                            drop(stream);
                        }
                        Misbehave::Huge => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n";
                            if stream.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let chunk = vec![b'7'; 64 * 1024];
                            while p.load(Ordering::SeqCst) < 1 << 30 {
                                if stream.write_all(&chunk).await.is_err() {
                                    break;
                                }
                                p.fetch_add(chunk.len(), Ordering::SeqCst);
                            }
                        }
                        Misbehave::Answer(status, headers, body) => {
                            let answer = format!(
                                "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = stream.write_all(answer.as_bytes()).await;
                        }
                    }
                });
            }
        });
        RawServer {
            port,
            requests,
            pushed,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Reads one request's head and `content-length` body; returns the body as text.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                return Some(body.to_string());
            }
        }
    }
}

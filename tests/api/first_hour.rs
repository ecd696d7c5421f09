//! What a newcomer meets in the first hour: the log answers "my helpdesk gets nothing" at
//! `info` (a first failure, a dead letter, a destination disabled with its reason), start-up
//! says once what it did and which environment variables it ignored.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

async fn answering(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// The log lines containing every one of `parts`.
fn lines_with(log: &str, parts: &[&str]) -> Vec<String> {
    log.lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn delivery_failures_dead_letters_and_disabled_destinations_are_in_the_info_log() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let gw = GatewayProcess::builder()
        .data(&dir.path().join("data"))
        .env("OMNIGATE__LOG__LEVEL", "info")
        .env("OMNIGATE__SERVER__PROT", "9999")
        .retries("0s,100ms")
        .logs_to(&log_path)
        .spawn()
        .await;
    let app = gw.app();
    let failing = answering(500).await;
    let gone = answering(410).await;
    let (failing_id, _) = app
        .destination(&failing.uri(), json!({"event_types": ["message.*"]}))
        .await;
    let (gone_id, _) = app
        .destination(&gone.uri(), json!({"event_types": ["message.*"]}))
        .await;
    let (_, hook) = app.approved_naver_channel().await;
    assert_eq!(
        post_hook(&hook, naver_text("u1", "hello")).await.status(),
        200
    );

    let log = eventually(15, "the dead letter and the disable in the log", || async {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let dead = lines_with(&log, &["WARN", "delivery dead", &failing_id]);
        let disabled = lines_with(&log, &["WARN", "destination disabled", &gone_id]);
        (!dead.is_empty() && !disabled.is_empty()).then_some(log)
    })
    .await;
    // The first failure is information, the retry after it is not repeated.
    let first = lines_with(&log, &["INFO", "delivery failed", &failing_id]);
    assert_eq!(first.len(), 1, "{log}");
    assert!(first[0].contains("http_500"), "{}", first[0]);
    let dead = lines_with(&log, &["WARN", "delivery dead", &failing_id]);
    assert_eq!(dead.len(), 1, "{log}");
    assert!(
        dead[0].contains("retries_exhausted after 2 attempts"),
        "{}",
        dead[0]
    );
    let disabled = lines_with(&log, &["WARN", "destination disabled", &gone_id]);
    assert_eq!(disabled.len(), 1, "{log}");
    assert!(
        disabled[0].contains("the destination answered 410 Gone"),
        "the reason is given: {}",
        disabled[0]
    );
    // Start-up: a misspelled variable is named, the schema is one line, no colour codes.
    assert_eq!(
        lines_with(&log, &["WARN", "OMNIGATE__SERVER__PROT"]).len(),
        1,
        "{log}"
    );
    assert_eq!(lines_with(&log, &["applied schema migration"]).len(), 1);
    assert!(!log.contains('\u{1b}'), "a log file has no colour codes");
}

#[tokio::test]
async fn a_port_in_use_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_omnigate"))
        .arg("serve")
        .env("OMNIGATE__STORE__PATH", dir.path())
        .env("OMNIGATE__SERVER__PORT", port.to_string())
        .env("OMNIGATE__LOG__LEVEL", "info")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        all.matches(&format!("binding 127.0.0.1:{port}")).count(),
        1,
        "{all}"
    );
}

#[tokio::test]
async fn a_rejected_channel_no_longer_shows_a_webhook_url() {
    let app = spawn_app().await;
    let ch = app.create_naver_channel().await;
    let id = ch["id"].as_str().unwrap();
    let (_, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert!(pending["webhook_url"].is_string(), "{pending}");
    let (status, rejected) = app
        .post(
            &format!("/v1/channels/{id}/reject"),
            json!({"reason": "not our shop"}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert!(rejected["webhook_url"].is_null(), "{rejected}");
    let (_, shown) = app.get(&format!("/v1/channels/{id}")).await;
    assert!(shown["webhook_url"].is_null(), "{shown}");
}

/// `omnigate sink` on a free port, verifying with `secret`; killed when dropped.
struct SinkProcess {
    child: std::process::Child,
    url: String,
    out: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SinkProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SinkProcess {
    async fn spawn(secret: &str) -> SinkProcess {
        let port = crate::process::free_port();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sink.out");
        let file = std::fs::File::create(&out).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_omnigate"))
            .args(["sink", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--secret", secret])
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        eventually(10, "the sink listening", || async {
            tokio::net::TcpStream::connect(&addr).await.ok().map(|_| ())
        })
        .await;
        SinkProcess {
            child,
            url: format!("http://{addr}/events"),
            out,
            _dir: dir,
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

#[tokio::test]
async fn a_destination_test_reaches_the_sink_which_refuses_a_wrong_signature() {
    let app = spawn_app().await;
    // The sink verifies with the first destination's secret; the second signs with its own.
    let placeholder = helpdesk_ok().await;
    let (right, secret) = app.destination(&placeholder.uri(), json!({})).await;
    let sink = SinkProcess::spawn(&secret).await;
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{right}"),
            Some(json!({"url": sink.url})),
        )
        .await;
    assert_eq!(status, 200);
    let (wrong, _) = app.destination(&sink.url, json!({})).await;

    let (status, tested) = app
        .post(&format!("/v1/destinations/{right}/test"), json!({}))
        .await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(tested["delivered"], true, "{tested}");
    assert_eq!(tested["status"], 200);
    assert!(tested["error"].is_null());
    let event_id = tested["event_id"].as_str().unwrap().to_string();
    let printed = sink.output();
    assert!(
        printed.contains(&format!("verified destination.test {event_id}")),
        "{printed}"
    );

    let (status, refused) = app
        .post(&format!("/v1/destinations/{wrong}/test"), json!({}))
        .await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["delivered"], false);
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["error"], "http_401: Unauthorized");
    assert_eq!(refused["response_body"], "signature does not verify");
    let printed = sink.output();
    assert_eq!(printed.matches("verified ").count(), 1, "{printed}");
    assert!(printed.contains("refused"), "{printed}");

    // Nothing is stored: a test is not a delivery.
    assert!(app.deliveries("").await.is_empty());

    // The CLI's `destinations test`: 0 when delivered, 1 when refused.
    for (id, code) in [(right.clone(), 0), (wrong.clone(), 1)] {
        let base = app.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_omnigate"))
                .args(["destinations", "test", &id])
                .env("OMNIGATE_URL", base)
                .env("OMNIGATE_TOKEN", TOKEN)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(code), "{out:?}");
    }
    assert_eq!(sink.output().matches("verified ").count(), 2);
    // An unknown destination is 404.
    let (status, _) = app.post("/v1/destinations/dst_nope/test", json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_quick_start_script_ends_with_a_verified_event_at_the_sink() {
    let script = format!("{}/scripts/quickstart.sh", env!("CARGO_MANIFEST_DIR"));
    let (port, sink_port) = (crate::process::free_port(), crate::process::free_port());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(script)
            .env("OMNIGATE_BIN", env!("CARGO_BIN_EXE_omnigate"))
            .env("PORT", port.to_string())
            .env("SINK_PORT", sink_port.to_string())
            .env_remove("OMNIGATE_URL")
            .env_remove("OMNIGATE_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("verified message.received evt_"), "{text}");
    assert!(text.contains("Hello from the quick start"), "{text}");
}

/// In a container the gateway listens on 0.0.0.0; without `server.public_url` a webhook URL
/// would be `http://0.0.0.0:8080/hooks/...`. It says so at start and hands out no such URL.
#[tokio::test]
async fn no_webhook_url_on_an_unspecified_address_and_the_fix_is_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let gw = GatewayProcess::builder()
        .data(&dir.path().join("data"))
        .env("OMNIGATE__SERVER__HOST", "0.0.0.0")
        .env("OMNIGATE__LOG__LEVEL", "info")
        .logs_to(&log_path)
        .spawn()
        .await;
    let app = gw.app();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let warned = lines_with(
        &log,
        &[
            "WARN",
            "server.public_url is unset",
            "OMNIGATE__SERVER__PUBLIC_URL",
        ],
    );
    assert_eq!(warned.len(), 1, "{log}");
    let ch = app.create_naver_channel().await;
    let id = ch["id"].as_str().unwrap();
    let (status, problem) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("public_url_required"))
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("OMNIGATE__SERVER__PUBLIC_URL"), "{detail}");
    assert!(detail.contains("http://0.0.0.0:"), "{detail}");
    let (_, unchanged) = app.get(&format!("/v1/channels/{id}")).await;
    assert_eq!(unchanged["state"], "unverified", "refused, nothing changed");

    // With the public URL set, the same gateway hands out URLs on it.
    let app = spawn_with(|s| {
        s.server.host = "0.0.0.0".into();
        s.server.public_url = "https://omnigate.example.com".into();
    })
    .await;
    let ch = app.create_naver_channel().await;
    let id = ch["id"].as_str().unwrap();
    let (status, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(status, 200, "{pending}");
    assert!(
        pending["webhook_url"]
            .as_str()
            .unwrap()
            .starts_with("https://omnigate.example.com/hooks/"),
        "{pending}"
    );
}

/// A second channel for the same provider account is registered, with a warning naming the
/// first (one of the two would receive nothing); other accounts and retired channels are not.
#[tokio::test]
async fn a_second_channel_for_the_same_account_is_warned_about() {
    let app = spawn_app().await;
    let first = app.create_naver_channel().await;
    assert!(first.get("warnings").is_none(), "{first}");
    let first_id = first["id"].as_str().unwrap();
    let creds = |account: &str| {
        json!({"provider": "naver_talktalk", "name": "Shop again",
               "credentials": {"account_id": account, "send_api_key": "ct_another_key_0123456789"}})
    };
    let (status, second) = app.post("/v1/channels", creds("wc8b1i")).await;
    assert_eq!(status, 201, "registered anyway: {second}");
    let warnings = second["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{second}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains(first_id) && warning.contains("same naver_talktalk account"),
        "{warning}"
    );
    let (_, other) = app.post("/v1/channels", creds("otheraccount")).await;
    assert!(other.get("warnings").is_none(), "{other}");

    // Retired channels do not count.
    for ch in [first_id, second["id"].as_str().unwrap()] {
        app.post(&format!("/v1/channels/{ch}/approval-request"), json!({}))
            .await;
        let (status, _) = app
            .post(
                &format!("/v1/channels/{ch}/reject"),
                json!({"reason": "duplicate"}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, third) = app.post("/v1/channels", creds("wc8b1i")).await;
    assert!(third.get("warnings").is_none(), "{third}");
}

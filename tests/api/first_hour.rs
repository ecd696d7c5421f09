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

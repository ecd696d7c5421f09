//! The real binary, killed and restarted: nothing acked is lost, SIGTERM is graceful, the
//! schema is versioned.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

/// The binary on `port` with its data in `dir`, retrying every second.
pub async fn gateway(dir: &tempfile::TempDir, port: u16) -> GatewayProcess {
    GatewayProcess::builder()
        .data(dir.path())
        .port(port)
        .retries("0s,1s,1s,1s,1s,1s,1s,1s,1s,1s")
        .spawn()
        .await
}

#[tokio::test]
async fn every_acked_webhook_survives_kill_9_and_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let helpdesk_port = free_port(); // nothing listens yet: the helpdesk is down
    let mut gw = gateway(&dir, port).await;
    let (_, secret) = gw
        .app()
        .destination(
            &format!("http://127.0.0.1:{helpdesk_port}/in"),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = gw.app().approved_naver_channel().await;
    for i in 0..20 {
        let who = if i % 2 == 0 { "alice" } else { "bob" };
        assert_eq!(
            post_hook(&url, naver_text(who, &format!("{who} {i}")))
                .await
                .status(),
            200
        );
    }
    gw.kill_9();

    let listener = TcpListener::bind(("127.0.0.1", helpdesk_port)).unwrap();
    let helpdesk = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&helpdesk)
        .await;
    let _gw = gateway(&dir, port).await;
    let got = wait_received(&helpdesk, &secret, 20).await;
    for who in ["alice", "bob"] {
        let texts: Vec<String> = got
            .iter()
            .map(|p| {
                p["data"]["message"]["content"]["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .filter(|t| t.starts_with(who))
            .collect();
        let mut unique = texts.clone();
        unique.dedup();
        let expected: Vec<String> = (0..20)
            .filter(|i| (i % 2 == 0) == (who == "alice"))
            .map(|i| format!("{who} {i}"))
            .collect();
        assert_eq!(unique, expected, "every acked message of {who}, in order");
    }
}

#[tokio::test]
async fn sigterm_stops_gracefully_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(300)))
        .mount(&helpdesk)
        .await;
    let gw = gateway(&dir, port).await;
    let (_, secret) = gw
        .app()
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = gw.app().approved_naver_channel().await;
    for i in 0..5 {
        assert_eq!(
            post_hook(&url, naver_text("carol", &format!("c{i}")))
                .await
                .status(),
            200
        );
    }
    let status = gw.terminate().await;
    assert!(status.success(), "exit status {status:?}");

    let _gw = gateway(&dir, port).await;
    let got = wait_received(&helpdesk, &secret, 5).await;
    let mut texts: Vec<&str> = got
        .iter()
        .map(|p| p["data"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    texts.dedup();
    assert_eq!(texts, ["c0", "c1", "c2", "c3", "c4"]);
}

#[tokio::test]
async fn the_data_directory_carries_a_schema_version_and_migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_omnigate"))
            .arg("migrate")
            .env("OMNIGATE__STORE__PATH", dir.path())
            .env("OMNIGATE__LOG__LEVEL", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let current = omnigate::store::embedded::migrations::CURRENT;
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("schema at version {current}"))
        );
    }
    let conn = rusqlite::Connection::open(dir.path().join("omnigate.db")).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, omnigate::store::embedded::migrations::CURRENT);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let out = Command::new(env!("CARGO_BIN_EXE_omnigate"))
        .arg("migrate")
        .env("OMNIGATE__STORE__PATH", dir.path())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a newer schema is refused, not overwritten"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer than this build"));
}

#[tokio::test]
async fn bad_configuration_exits_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_omnigate"))
        .env("OMNIGATE__DELIVERY__JITTER", "7")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("delivery.jitter"));
    let help = Command::new(env!("CARGO_BIN_EXE_omnigate"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("serve") && text.contains("migrate"));
}

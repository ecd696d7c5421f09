//! `omnigate backup` while the gateway takes webhooks, `omnigate restore` into a new data
//! directory, and a gateway started on it.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

/// `omnigate <args>` on the data directory `data`, run off the async runtime.
async fn omnigate(data: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omnigate"));
    cmd.args(args)
        .env("OMNIGATE__STORE__PATH", data)
        .env("OMNIGATE__LOG__LEVEL", "warn");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Every page of a listing (`path` has a query already).
async fn all_pages(app: &TestApp, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let (status, body) = app.get(&format!("{path}&limit=500{after}")).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

fn ids(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            i["data"][field]
                .as_str()
                .or(i[field].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_to_a_gateway_with_the_same_listings_that_delivers_what_was_queued(
) {
    let helpdesk_port = free_port(); // nothing listens yet: every delivery stays queued
    let original = tempfile::tempdir().unwrap();
    let gw = GatewayProcess::builder()
        .data(original.path())
        .retries("0s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s")
        .spawn()
        .await;
    let app = gw.app();
    let (destination, secret) = app
        .destination(
            &format!("http://127.0.0.1:{helpdesk_port}/in"),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (channel, url) = app.approved_naver_channel().await;

    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn({
        let (acked, stop, url) = (acked.clone(), stop.clone(), url.clone());
        async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let who = ["alice", "bob", "carol"][i % 3];
                let status = post_hook(&url, naver_text(who, &format!("{who} {i}"))).await;
                assert_eq!(status.status(), 200);
                acked.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        }
    });
    eventually(20, "60 webhooks acked", || async {
        (acked.load(Ordering::SeqCst) >= 60).then_some(())
    })
    .await;
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("omnigate.backup");
    let out = omnigate(&gw.data, &["backup", file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_backup = acked.load(Ordering::SeqCst);
    eventually(20, "ingest to go on after the backup", || async {
        (acked.load(Ordering::SeqCst) >= after_backup + 20).then_some(())
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let backed_up: usize = said
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("backup says how many events: {said}"));

    let everything = all_pages(&app, "/v1/events?").await;
    let before_deliveries =
        all_pages(&app, &format!("/v1/deliveries?destination={destination}")).await;
    drop(gw);

    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(
        app.data.join("master.key"),
        restored.path().join("master.key"),
    )
    .unwrap();
    let out = omnigate(restored.path(), &["restore", file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = omnigate(restored.path(), &["restore", file.to_str().unwrap()]).await;
    assert!(
        !again.status.success(),
        "a store is never restored over another"
    );

    let gw2 = GatewayProcess::builder()
        .data(restored.path())
        .retries("0s,1s,1s,1s")
        .spawn()
        .await;
    let app2 = gw2.app();
    let listed = all_pages(&app2, "/v1/events?").await;
    assert_eq!(
        listed.len(),
        backed_up,
        "the events the backup said it holds"
    );
    assert!(
        backed_up < everything.len(),
        "the gateway took webhooks after the backup"
    );
    assert_eq!(
        listed,
        everything[..backed_up],
        "the same events, in the same order"
    );
    let kept: Vec<String> = ids(&listed, "event_id");
    for who in ["alice", "bob", "carol"] {
        let conversation = listed
            .iter()
            .find(|e| e["data"]["conversation"]["provider_ref"] == who)
            .map(|e| {
                e["data"]["conversation"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap();
        let theirs = all_pages(&app2, &format!("/v1/events?conversation={conversation}")).await;
        let expected: Vec<&Value> = listed
            .iter()
            .filter(|e| e["data"]["conversation"]["id"] == conversation.as_str())
            .collect();
        assert_eq!(
            theirs.iter().collect::<Vec<_>>(),
            expected,
            "{who}'s conversation"
        );
    }
    let channel_events = all_pages(&app2, &format!("/v1/events?channel={channel}")).await;
    assert_eq!(channel_events, listed);
    let deliveries = all_pages(&app2, &format!("/v1/deliveries?destination={destination}")).await;
    let expected: Vec<String> = before_deliveries
        .iter()
        .filter(|d| kept.contains(&d["event_id"].as_str().unwrap().to_string()))
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids(&deliveries, "id"), expected, "the same deliveries");
    assert!(deliveries.iter().all(|d| d["status"] != "delivered"));

    let listener = TcpListener::bind(("127.0.0.1", helpdesk_port)).unwrap();
    let helpdesk = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&helpdesk)
        .await;
    let path = format!("/v1/deliveries?destination={destination}");
    eventually(30, "every restored delivery to be delivered", || async {
        let all = all_pages(&app2, &path).await;
        all.iter().all(|d| d["status"] == "delivered").then_some(())
    })
    .await;
    let mut got: Vec<String> = received(&helpdesk, &secret)
        .await
        .iter()
        .map(|p| p["data"]["event_id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    got.dedup();
    let mut wanted: Vec<String> = listed
        .iter()
        .filter(|e| e["type"] == "message.received")
        .map(|e| e["data"]["event_id"].as_str().unwrap().to_string())
        .collect();
    wanted.sort();
    assert_eq!(got, wanted, "every queued event of the backup is delivered");
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-backup");
    std::fs::write(&file, b"hello").unwrap();
    let data = dir.path().join("data");
    let out = omnigate(&data, &["restore", file.to_str().unwrap()]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a usable backup"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!data.join("omnigate.db").exists(), "nothing was written");
}

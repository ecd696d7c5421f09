//! `redis_stream` destinations against Redis: the shared server on 127.0.0.1:6379, and private
//! redis-servers of the test's own for the outage and the refused credential.

use std::collections::HashMap;
use std::process::Command;

use serde_json::{json, Value};

use super::*;

const SHARED: &str = "127.0.0.1:6379";

/// A redis-server of the test's own, every write fsynced to its append-only file (so what Redis
/// acknowledged survives a restart), optionally requiring a password.
async fn server(password: Option<&'static str>) -> Private {
    Private::start(Box::new(move |port, dir| {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
            ])
            .arg(dir);
        if let Some(p) = password {
            cmd.args(["--requirepass", p]);
        }
        cmd
    }))
    .await
}

/// Every entry of the stream, oldest first.
async fn read(addr: &str, key: &str) -> Vec<Got> {
    let client = redis::Client::open(format!("redis://{addr}")).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
        .arg(key)
        .arg("-")
        .arg("+")
        .query_async(&mut c)
        .await
        .unwrap();
    entries
        .into_iter()
        .map(|(_, flat)| {
            let mut fields: HashMap<String, String> = flat
                .chunks(2)
                .map(|kv| (kv[0].clone(), kv[1].clone()))
                .collect();
            let body = fields.remove("body").unwrap_or_default();
            Got {
                headers: fields,
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
            }
        })
        .collect()
}

async fn delete(addr: &str, key: &str) {
    let client = redis::Client::open(format!("redis://{addr}")).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stream_consumer_receives_every_event_in_order_and_a_replay_appends_them_again_with_the_same_ids(
) {
    let app = gateway(&[SHARED.into()]).await;
    let prefix = unique("og");
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "redis_stream", "url": format!("redis://{SHARED}"),
               "stream_key": format!("{prefix}:{{channel}}"), "max_len": 10000}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(d["url"], format!("redis://{SHARED}"));
    assert_eq!(d["max_len"], 10000);
    let key = format!("{prefix}:{channel}");
    post_messages(&hook, &["alice", "bob", "carol"], 3, "hello").await;
    all_delivered(&app, id, 9).await;
    let events = stored(&app, &channel).await;
    let got = read(SHARED, &key).await;
    assert_eq!(got.len(), 9);
    assert_received(&events, &got);

    assert_eq!(replay(&app, id).await, 9);
    all_delivered(&app, id, 18).await;
    let got = read(SHARED, &key).await;
    assert_eq!(
        got.len(),
        18,
        "Redis keeps both copies; the event id tells them apart"
    );
    let (first, again) = got.split_at(9);
    assert_received(&events, first);
    assert_received(&events, again);
    delete(SHARED, &key).await;
}

#[tokio::test]
async fn events_that_arrive_while_redis_is_down_reach_the_stream_once_it_is_back_in_order() {
    let mut server = server(None).await;
    let app = gateway(&[server.addr()]).await;
    let key = unique("og:");
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "redis_stream", "url": format!("redis://{}", server.addr()),
               "stream_key": key}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    post_messages(&hook, &["frank", "grace"], 2, "before").await;
    all_delivered(&app, id, 4).await;

    server.stop();
    post_messages(&hook, &["frank", "grace"], 3, "during").await;
    let error = a_failed_attempt(&app, id).await;
    assert!(
        error.starts_with("connect_failed: ") || error.starts_with("timeout: "),
        "{error}"
    );
    server.restart().await;

    all_delivered(&app, id, 10).await;
    let got = read(&server.addr(), &key).await;
    assert_received(&stored(&app, &channel).await, &got);
    let ids: HashSet<&str> = got.iter().map(Got::id).collect();
    assert_eq!(
        (got.len(), ids.len()),
        (10, 10),
        "an attempt Redis never answered was not appended"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_dead_letter_that_says_redis_refused_the_credentials() {
    let server = server(Some("the-right-password")).await;
    let app = gateway(&[server.addr()]).await;
    let (_, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "redis_stream", "url": format!("redis://{}", server.addr()),
               "username": "default", "password": "a-wrong-password-for-redis"}),
    )
    .await;
    assert_eq!(
        (d["username"].as_str(), d["password"].as_str()),
        (Some("default"), Some("****edis"))
    );
    post_messages(&hook, &["heidi"], 1, "hi").await;
    let reason = dead_reason(&app, d["id"].as_str().unwrap()).await;
    assert!(reason.starts_with("auth_failed: redis: "), "{reason}");
    assert!(
        reason.contains("refused the destination's credentials"),
        "{reason}"
    );
    assert!(!reason.contains("a-wrong-password"), "{reason}");
}

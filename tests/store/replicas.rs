//! Scale-out with the real binary: several replicas on loopback ports share one Redis. A
//! replica killed with SIGKILL while it holds a conversation's lease loses nothing that was
//! acked, and another carries that conversation on in order; Redis going away and coming back
//! (with AOF) needs no replica restart, and webhooks acked meanwhile are delivered in order.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::redis_url;

use crate::process::{
    eventually, free_port, GatewayBuilder, GatewayProcess, OwnedChild, ADMIN_TOKEN as TOKEN,
};
use omnigate::store::redis::keys::{lane_member, Keys};

/// A replica of the gateway on the redis engine at `redis`, under `prefix`, ready to start.
fn replica_builder(redis: &str, prefix: &str, data: &Path) -> GatewayBuilder {
    GatewayProcess::builder()
        .data(data)
        .redis(redis, prefix)
        .env("OMNIGATE__REDIS__TIMEOUT", "500ms")
        .retries("0s,200ms,200ms,200ms,200ms,200ms")
        .env("OMNIGATE__DELIVERY__REQUEST_TIMEOUT", "2s")
        .env("OMNIGATE__DELIVERY__LEASE_MARGIN", "1s")
}

/// A replica of the gateway on the redis engine at `redis`, under `prefix`.
async fn replica(redis: &str, prefix: &str, data: &Path) -> GatewayProcess {
    replica_builder(redis, prefix, data).spawn().await
}

async fn admin(base: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status == 200 || status == 201, "{path}: {status} {body}");
    body
}

/// An approved Naver channel and a destination to `sink`; returns (webhook path, secret,
/// destination id).
async fn set_up(base: &str, sink: &MockServer) -> (String, String, String) {
    let ch = admin(
        base,
        "/v1/channels",
        json!({"provider": "naver_talktalk", "name": "Shop",
               "credentials": {"account_id": "wc8b1i", "send_api_key": "ct_wc8b1i_Pb1AXDQ0RZWuCccp"}}),
    )
    .await;
    let id = ch["id"].as_str().unwrap();
    let pending = admin(
        base,
        &format!("/v1/channels/{id}/approval-request"),
        json!({}),
    )
    .await;
    admin(base, &format!("/v1/channels/{id}/approve"), json!({})).await;
    let url = pending["webhook_url"].as_str().unwrap();
    let path = url[url.find("/hooks/").unwrap()..].to_string();
    let d = admin(
        base,
        "/v1/destinations",
        json!({"url": format!("{}/hook", sink.uri()), "event_types": ["message.received"]}),
    )
    .await;
    (
        path,
        d["secret"].as_str().unwrap().to_string(),
        d["id"].as_str().unwrap().to_string(),
    )
}

/// Posts a Naver text message; true when the replica acked it (200).
async fn send(base: &str, path: &str, user: &str, text: &str) -> bool {
    let body = json!({"event": "send", "user": user,
                      "textContent": {"text": text, "inputType": "typing"}});
    match reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json;charset=UTF-8")
        .timeout(Duration::from_secs(5))
        .body(body.to_string())
        .send()
        .await
    {
        Ok(r) => r.status() == 200,
        Err(_) => false,
    }
}

/// What the sink received, verified: (webhook-id, user, text) in arrival order.
async fn received(sink: &MockServer, secret: &str) -> Vec<(String, String, String)> {
    let wh = standardwebhooks::Webhook::new(secret).unwrap();
    let mut out = Vec::new();
    for r in sink.received_requests().await.unwrap_or_default() {
        let mut headers = http::HeaderMap::new();
        for (k, v) in r.headers.iter() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        wh.verify(&r.body, &headers).expect("a valid signature");
        let p: Value = serde_json::from_slice(&r.body).unwrap();
        let id = r
            .headers
            .get("webhook-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        out.push((
            id,
            p["data"]["conversation"]["provider_ref"]
                .as_str()
                .unwrap()
                .to_string(),
            p["data"]["message"]["content"]["text"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    out
}

/// Waits until every acked text arrived, then checks: each conversation got its acked texts in
/// the order they were acked (a duplicate only right after itself), and a text that arrived twice
/// came with the same webhook-id.
async fn assert_delivered_in_order(
    sink: &MockServer,
    secret: &str,
    acked: &HashMap<String, Vec<String>>,
) {
    let wanted: usize = acked.values().map(Vec::len).sum();
    let got = eventually(40, "every acked webhook at the helpdesk", || async {
        let got = received(sink, secret).await;
        let distinct: HashSet<&str> = got.iter().map(|(_, _, t)| t.as_str()).collect();
        (distinct.len() >= wanted).then_some(got)
    })
    .await;
    let mut id_of: HashMap<String, String> = HashMap::new();
    for (id, _, text) in &got {
        let first = id_of.entry(text.clone()).or_insert_with(|| id.clone());
        assert_eq!(first, id, "{text} arrived twice with different webhook-ids");
    }
    for (user, texts) in acked {
        // Arrivals as positions in the acked order: never backwards (a re-sent event repeats
        // the one before it, nothing overtakes), and every acked one is there.
        let positions: Vec<usize> = got
            .iter()
            .filter(|(_, u, _)| u == user)
            .map(|(_, _, text)| {
                texts
                    .iter()
                    .position(|t| t == text)
                    .unwrap_or_else(|| panic!("{text} was never acked"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] <= w[1]),
            "conversation {user} out of order: {positions:?}"
        );
        let mut distinct = positions.clone();
        distinct.dedup();
        assert_eq!(
            distinct,
            (0..texts.len()).collect::<Vec<_>>(),
            "conversation {user} incomplete"
        );
    }
}

/// The id of `user`'s conversation, read from the events API.
async fn conversation_of(base: &str, user: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{base}/v1/events?type=message.received&limit=500"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let page: Value = resp.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["conversation"]["provider_ref"] == user)
        .and_then(|e| e["data"]["conversation"]["id"].as_str())
        .unwrap_or_else(|| panic!("a conversation of {user}: {page}"))
        .to_string()
}

async fn redis_conn() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The fencing token of the claim holding `lane`, if any.
async fn lease_of(keys: &Keys, lane: &str) -> Option<String> {
    lease_and_end(keys, lane).await.0
}

/// The fencing token of the claim holding `lane`, and when the lane is due again (the end of
/// its lease while it is held), in ms.
async fn lease_and_end(keys: &Keys, lane: &str) -> (Option<String>, i64) {
    let mut c = redis_conn().await;
    let token: Option<String> = redis::cmd("HGET")
        .arg(keys.leases())
        .arg(lane)
        .query_async(&mut c)
        .await
        .unwrap();
    let due: Option<f64> = redis::cmd("ZSCORE")
        .arg(keys.lanes_due(lane.split_once('|').map_or("", |(d, _)| d)))
        .arg(lane)
        .query_async(&mut c)
        .await
        .unwrap();
    (token, due.unwrap_or_default() as i64)
}

/// A destination's deliveries, as the admin API lists them (`None` while it cannot answer).
async fn deliveries(base: &str, destination: &str) -> Option<Vec<Value>> {
    let resp = reqwest::Client::new()
        .get(format!("{base}/v1/deliveries?destination={destination}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .ok()?;
    let page: Value = resp.json().await.ok()?;
    page["items"].as_array().cloned()
}

/// How many of a destination's deliveries are on record as delivered.
async fn settled(base: &str, destination: &str) -> Option<usize> {
    let items = deliveries(base, destination).await?;
    Some(items.iter().filter(|d| d["status"] == "delivered").count())
}

/// A helpdesk slow enough (`delay_ms` an answer) that replicas have deliveries in flight.
async fn sink(delay_ms: u64) -> MockServer {
    let sink = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(delay_ms)))
        .mount(&sink)
        .await;
    sink
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_lose_nothing_acked_when_one_is_killed() {
    let prefix = format!("ogtest:{}", uuid::Uuid::new_v4().simple());
    let redis = redis_url();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut replicas = Vec::new();
    for d in &dirs {
        replicas.push(replica(&redis, &prefix, d.path()).await);
    }
    let sink = sink(150).await;
    let (path, secret, destination) = set_up(&replicas[0].base, &sink).await;
    let users: Vec<String> = (0..4).map(|u| format!("user-{u}")).collect();
    let mut acked: HashMap<String, Vec<String>> = HashMap::new();
    let mut alive = [true; 3];
    let mut i = 0;
    // (replica, user, text, whether that replica is up) for the next `n` webhooks.
    let mut spread = |n: usize, alive: [bool; 3]| -> Vec<(usize, String, String, bool)> {
        (0..n)
            .map(|_| {
                i += 1;
                let user = users[i % users.len()].clone();
                let text = format!("{user} #{i}");
                (i % 3, user, text, alive[i % 3])
            })
            .collect()
    };
    // Webhooks spread across the three replicas.
    for (r, user, text, up) in spread(30, alive) {
        assert_eq!(send(&replicas[r].base, &path, &user, &text).await, up);
        acked.entry(user).or_default().push(text);
    }
    // A burst for one conversation on replica 1, the only one running (the others are
    // stopped), so the lease of that conversation's lane can only be replica 1's. It starts
    // delivering the burst at once (the helpdesk takes 150 ms an event).
    replicas[0].signal("STOP");
    replicas[2].signal("STOP");
    for n in 0..10 {
        let text = format!("burst #{n}");
        assert!(send(&replicas[1].base, &path, "user-burst", &text).await);
        acked.entry("user-burst".into()).or_default().push(text);
    }
    let conversation = conversation_of(&replicas[1].base, "user-burst").await;
    let keys = Keys::new(&prefix);
    let lane = lane_member(&destination, &conversation);
    let token = eventually(
        10,
        "replica 1 to deliver the burst under its lease",
        || async {
            let token = lease_of(&keys, &lane).await?;
            let delivered = received(&sink, &secret)
                .await
                .iter()
                .any(|(_, u, _)| u == "user-burst");
            delivered.then_some(token)
        },
    )
    .await;
    let (held_by, lease_ends) = lease_and_end(&keys, &lane).await;
    assert_eq!(held_by.as_deref(), Some(token.as_str()));
    assert!(
        lease_ends > chrono::Utc::now().timestamp_millis(),
        "replica 1's lease runs"
    );
    // It dies mid-stream with that conversation leased.
    replicas[1].kill_9();
    alive[1] = false;
    let burst_done = received(&sink, &secret)
        .await
        .iter()
        .filter(|(_, u, _)| u == "user-burst")
        .count();
    assert!(burst_done < 10, "the burst was still in flight at the kill");
    assert_eq!(
        lease_of(&keys, &lane).await,
        Some(token),
        "the lane was still the killed replica's"
    );
    replicas[0].signal("CONT");
    replicas[2].signal("CONT");
    // The others carry on; replica 1 acks nothing any more.
    for (r, user, text, up) in spread(30, alive) {
        let ok = send(&replicas[r].base, &path, &user, &text).await;
        assert_eq!(ok, up, "a live replica acks, a dead one cannot");
        if ok {
            acked.entry(user).or_default().push(text);
        }
    }
    assert_delivered_in_order(&sink, &secret, &acked).await;
    drop(replicas);
    crate::harness::forget_prefix(&prefix);
}

/// A Redis of the test's own, with AOF on, that can be stopped and started again.
struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    proc: Option<OwnedChild>,
}

impl OwnRedis {
    async fn start() -> OwnRedis {
        let mut r = OwnRedis {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            proc: None,
        };
        r.up().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn up(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.proc = Some(OwnedChild(child));
        let url = self.url();
        eventually(10, "redis-server to answer", || async {
            let client = redis::Client::open(url.as_str()).ok()?;
            let mut c = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("PING").query_async::<String>(&mut c).await.ok()
        })
        .await;
    }

    fn down(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill_9();
        }
    }
}

async fn readyz(base: &str) -> Value {
    reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_acked_while_redis_is_down_are_delivered_in_order_after_it_returns() {
    let mut redis = OwnRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = replica(&redis.url(), "og", dir.path()).await;
    let sink = sink(20).await;
    let (path, secret, _) = set_up(&gw.base, &sink).await;
    let mut acked: HashMap<String, Vec<String>> = HashMap::new();
    let mut i = 0;
    let mut send_round = |n: usize| {
        let batch: Vec<(String, String)> = (0..n)
            .map(|_| {
                i += 1;
                let user = format!("user-{}", i % 2);
                (user.clone(), format!("{user} #{i}"))
            })
            .collect();
        batch
    };
    for (user, text) in send_round(6) {
        assert!(send(&gw.base, &path, &user, &text).await);
        acked.entry(user).or_default().push(text);
    }
    // Redis dies (SIGKILL: its AOF, fsynced on every write, keeps what was acked).
    redis.down();
    for (user, text) in send_round(8) {
        assert!(
            send(&gw.base, &path, &user, &text).await,
            "webhooks are acked while Redis is down"
        );
        acked.entry(user).or_default().push(text);
    }
    let ready = readyz(&gw.base).await;
    assert_eq!(ready["store"], "degraded", "{ready}");
    redis.up().await;
    for (user, text) in send_round(6) {
        assert!(send(&gw.base, &path, &user, &text).await);
        acked.entry(user).or_default().push(text);
    }
    assert_delivered_in_order(&sink, &secret, &acked).await;
    eventually(10, "the replica to be ready again", || async {
        (readyz(&gw.base).await["store"] == "ok").then_some(())
    })
    .await;
    // The same replica, never restarted, keeps delivering.
    assert!(send(&gw.base, &path, "user-9", "after the outage").await);
    eventually(10, "a webhook after the outage", || async {
        let got = received(&sink, &secret).await;
        got.iter()
            .any(|(_, _, t)| t == "after the outage")
            .then_some(())
    })
    .await;
    drop(gw);
}

/// A replica killed while Redis is down, its spool holding acked webhooks, and started again
/// before Redis is back: it waits for Redis, then delivers exactly what was acked, once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_and_restarted_while_redis_is_down_loses_nothing() {
    let mut redis = OwnRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = redis.url();
    let start = || replica_builder(&url, "og", dir.path()).port(port);
    let mut gw = start().spawn().await;
    let sink = sink(20).await;
    let (path, secret, destination) = set_up(&gw.base, &sink).await;
    // A first message makes the replica know the channel, as it must to ack without Redis.
    assert!(send(&gw.base, &path, "user-0", "before the outage").await);
    // Delivered and on record, so no delivery is in flight when Redis goes.
    eventually(10, "the first message delivered", || async {
        (settled(&gw.base, &destination).await? == 1).then_some(())
    })
    .await;

    redis.down();
    let texts: Vec<String> = (0..8).map(|n| format!("spooled #{n}")).collect();
    for (n, text) in texts.iter().enumerate() {
        let user = format!("user-{}", n % 2);
        assert!(
            send(&gw.base, &path, &user, text).await,
            "acked while Redis is down"
        );
    }
    gw.kill_9();
    // Started again while Redis is still down: it cannot serve yet, and must not give up.
    let log = dir.path().join("restart.log");
    let gw = start().unready().logs_to(&log).spawn().await;
    eventually(20, "the restarted replica waiting for Redis", || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("waiting for Redis").then_some(())
    })
    .await;
    redis.up().await;
    gw.ready().await;

    let wanted = texts.len() + 1;
    let got = eventually(20, "every acked message at the helpdesk", || async {
        let got = received(&sink, &secret).await;
        (got.len() >= wanted).then_some(got)
    })
    .await;
    let records = eventually(10, "every delivery settled", || async {
        deliveries(&gw.base, &destination)
            .await
            .filter(|items| items.iter().all(|d| d["status"] == "delivered"))
    })
    .await;
    assert_eq!(records.len(), wanted, "one delivery per acked message");
    let got_after = received(&sink, &secret).await;
    assert_eq!(got_after.len(), wanted, "each message exactly once");
    let spooled: Vec<&str> = got[1..].iter().map(|(_, _, t)| t.as_str()).collect();
    let mut sorted = spooled.clone();
    sorted.sort();
    assert_eq!(sorted, texts.iter().map(String::as_str).collect::<Vec<_>>());
    // Each conversation's messages in the order they were acked.
    for user in ["user-0", "user-1"] {
        let theirs: Vec<&str> = got
            .iter()
            .filter(|(_, u, t)| u == user && t != "before the outage")
            .map(|(_, _, t)| t.as_str())
            .collect();
        let acked: Vec<&str> = texts
            .iter()
            .enumerate()
            .filter(|(n, _)| format!("user-{}", n % 2) == user)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(theirs, acked, "{user}");
    }
    // The webhook-ids are the ids of the events stored: one stored event per acked message.
    let ids: HashSet<String> = got.iter().map(|(id, _, _)| id.clone()).collect();
    let delivered_events: HashSet<String> = records
        .iter()
        .map(|d| d["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, delivered_events);
    drop(gw);
}

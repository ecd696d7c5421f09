//! Stream destinations against the real brokers on this machine (NATS JetStream, Redis,
//! RabbitMQ; `.ci/run` starts them): a consumer on each broker receives every event of several
//! conversations in order, with the envelope a webhook would get and the event's id, type,
//! channel and conversation as headers; a broker that goes away while webhooks keep arriving
//! loses nothing once it is back; a replay reaches the stream again with the same ids; a wrong
//! credential is a dead letter that says so.

mod amqp;
mod nats;
mod redis_stream;
mod rules;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    events_of, eventually, free_port, naver_text, post_hook, spawn_with, TestApp,
};
use crate::process::{signal, OwnedChild};

/// How to start a broker on a port with its data in a directory.
type Launch = Box<dyn Fn(u16, &std::path::Path) -> std::process::Command + Send + Sync>;

/// A broker process of the test's own (nats-server, redis-server), its data in a directory that
/// outlives a restart, so the test can stop it as an operator would and start it again.
pub struct Private {
    port: u16,
    dir: tempfile::TempDir,
    launch: Launch,
    child: Option<OwnedChild>,
}

impl Private {
    pub async fn start(launch: Launch) -> Private {
        let mut p = Private {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            launch,
            child: None,
        };
        p.restart().await;
        p
    }

    pub async fn restart(&mut self) {
        let mut cmd = (self.launch)(self.port, self.dir.path());
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        self.child = Some(OwnedChild(cmd.spawn().expect("the broker is installed")));
        let addr = self.addr();
        eventually(10, "the private broker to listen", || async {
            tokio::net::TcpStream::connect(&addr).await.ok().map(|_| ())
        })
        .await;
    }

    /// SIGTERM, as an operator stops it (the broker flushes what it acknowledged), and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.0.id(), "TERM");
            let _ = child.0.wait();
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A gateway that may reach only the brokers named (loopback needs the egress allowlist, as a
/// webhook on loopback does), retrying for about a minute, its breaker quick to probe again.
pub async fn gateway(brokers: &[String]) -> TestApp {
    let brokers = brokers.to_vec();
    spawn_with(move |s| {
        s.security.allow_private_destinations = false;
        s.security.private_destination_allowlist = brokers;
        s.delivery.retry_schedule = std::iter::once(Duration::ZERO)
            .chain(std::iter::repeat(Duration::from_millis(300)).take(200))
            .collect();
        s.delivery.breaker_cooldown = Duration::from_millis(300);
    })
    .await
}

/// A unique name for a test's stream, key or exchange.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// An approved Naver channel; returns (channel id, webhook URL).
pub async fn channel(app: &TestApp) -> (String, String) {
    app.approved_naver_channel().await
}

/// Registers a destination; returns its answer.
pub async fn destination(app: &TestApp, body: Value) -> Value {
    let (status, d) = app.post("/v1/destinations", body).await;
    assert_eq!(status, 201, "{d}");
    d
}

/// Posts `rounds` messages from each visitor, the visitors' messages interleaved.
pub async fn post_messages(hook: &str, visitors: &[&str], rounds: usize, tag: &str) {
    for round in 0..rounds {
        for visitor in visitors {
            let body = naver_text(visitor, &format!("{tag} {round} from {visitor}"));
            let answer = post_hook(hook, body).await;
            assert_eq!(answer.status(), 200);
        }
    }
}

/// A message as a consumer read it from the broker.
#[derive(Debug, Clone)]
pub struct Got {
    pub headers: HashMap<String, String>,
    pub body: Value,
}

impl Got {
    pub fn id(&self) -> &str {
        self.headers
            .get("omnigate-event-id")
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// The channel's stored events, oldest first (as the events API lists them).
pub async fn stored(app: &TestApp, channel: &str) -> Vec<Value> {
    events_of(app, channel, "&limit=500").await
}

/// What a consumer must have seen: after de-duplication by event id (the first copy kept), each
/// stored event exactly once, with the stored envelope as its body and its id, type, channel
/// and conversation as headers, and each conversation's events in the order they were stored.
pub fn assert_received(stored: &[Value], got: &[Got]) {
    let mut seen = HashSet::new();
    let unique: Vec<&Got> = got
        .iter()
        .filter(|g| seen.insert(g.id().to_string()))
        .collect();
    let ids = |events: Vec<&Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| e["data"]["event_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        unique.len(),
        stored.len(),
        "every stored event once: {:?}",
        unique.iter().map(|g| g.id()).collect::<Vec<_>>()
    );
    let by_id: HashMap<&str, &Value> = stored
        .iter()
        .map(|e| (e["data"]["event_id"].as_str().unwrap(), e))
        .collect();
    for g in &unique {
        let event = by_id
            .get(g.id())
            .unwrap_or_else(|| panic!("{} was not stored", g.id()));
        assert_eq!(&&g.body, event, "the body is the stored envelope");
        assert_eq!(
            g.headers["omnigate-event-type"],
            event["type"].as_str().unwrap()
        );
        assert_eq!(
            g.headers["omnigate-channel"],
            event["data"]["channel"]["id"].as_str().unwrap()
        );
        assert_eq!(
            g.headers["omnigate-conversation"],
            event["data"]["conversation"]["id"].as_str().unwrap()
        );
    }
    let conversations: HashSet<&str> = stored
        .iter()
        .map(|e| e["data"]["conversation"]["id"].as_str().unwrap())
        .collect();
    assert!(conversations.len() > 1, "several conversations");
    for c in conversations {
        let in_conversation = |e: &&Value| e["data"]["conversation"]["id"] == c;
        let want = ids(stored.iter().filter(in_conversation).collect());
        let have: Vec<String> = unique
            .iter()
            .filter(|g| g.headers["omnigate-conversation"] == c)
            .map(|g| g.id().to_string())
            .collect();
        assert_eq!(have, want, "conversation {c} in order");
    }
}

/// The destination's deliveries once each is delivered; fails on a dead one.
pub async fn all_delivered(app: &TestApp, destination: &str, count: usize) -> Vec<Value> {
    eventually(
        60,
        &format!("{count} deliveries to {destination}"),
        || async {
            let all = app
                .deliveries(&format!("destination={destination}&limit=500"))
                .await;
            if let Some(dead) = all.iter().find(|d| d["status"] == "dead") {
                panic!("a dead delivery: {dead}");
            }
            (all.len() == count && all.iter().all(|d| d["status"] == "delivered")).then_some(all)
        },
    )
    .await
}

/// Replays everything the destination was sent; returns how many were queued.
pub async fn replay(app: &TestApp, destination: &str) -> u64 {
    let (_, d) = app.get(&format!("/v1/destinations/{destination}")).await;
    let (status, body) = app
        .post(
            &format!("/v1/destinations/{destination}/replay"),
            json!({"since": d["created_at"]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    body["queued"].as_u64().unwrap()
}

/// Waits for the destination's one delivery to be dead, and returns its last error.
pub async fn dead_reason(app: &TestApp, destination: &str) -> String {
    eventually(30, "a dead letter", || async {
        let all = app.deliveries(&format!("destination={destination}")).await;
        all.iter()
            .find(|d| d["status"] == "dead")
            .map(|d| d["last_error"].as_str().unwrap_or_default().to_string())
    })
    .await
}

/// Waits until an attempt at the destination failed (the broker is down) and returns its
/// error.
pub async fn a_failed_attempt(app: &TestApp, destination: &str) -> String {
    eventually(30, "a failed attempt", || async {
        let all = app.deliveries(&format!("destination={destination}")).await;
        all.iter()
            .find(|d| d["status"] == "failed")
            .map(|d| d["last_error"].as_str().unwrap_or_default().to_string())
    })
    .await
}

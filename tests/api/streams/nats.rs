//! `nats` destinations against NATS JetStream: the shared server on 127.0.0.1:4222, and private
//! servers of the test's own for the outage and the refused credential.

use std::process::Command;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use serde_json::{json, Value};

use super::*;

const SHARED: &str = "127.0.0.1:4222";

/// A nats-server with JetStream of the test's own, optionally requiring a token.
async fn server(token: Option<&'static str>) -> Private {
    Private::start(Box::new(move |port, dir| {
        let mut cmd = Command::new("nats-server");
        cmd.args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir);
        if let Some(token) = token {
            cmd.args(["--auth", token]);
        }
        cmd
    }))
    .await
}

async fn jetstream_at(addr: &str, token: Option<&str>) -> jetstream::Context {
    let mut options = async_nats::ConnectOptions::new();
    if let Some(t) = token {
        options = options.token(t.to_string());
    }
    jetstream::new(options.connect(addr).await.unwrap())
}

/// A stream taking `{prefix}.>`.
async fn stream_for(js: &jetstream::Context, prefix: &str, window: Option<Duration>) -> String {
    let name = prefix.to_uppercase();
    let mut config = stream::Config {
        name: name.clone(),
        subjects: vec![format!("{prefix}.>")],
        ..Default::default()
    };
    if let Some(w) = window {
        config.duplicate_window = w;
    }
    js.create_stream(config).await.unwrap();
    name
}

/// Every message in the stream, in stream order, with its subject.
async fn read(js: &jetstream::Context, stream: &str) -> Vec<(String, Got)> {
    let mut s = js.get_stream(stream).await.unwrap();
    let last = s.info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        let m = s.get_raw_message(seq).await.unwrap();
        let mut headers: HashMap<String, String> = [
            "omnigate-event-id",
            "omnigate-event-type",
            "omnigate-channel",
            "omnigate-conversation",
            "Content-Type",
        ]
        .iter()
        .filter_map(|h| {
            m.headers
                .get(*h)
                .map(|v| (h.to_string(), v.as_str().to_string()))
        })
        .collect();
        if let Some(id) = m.headers.get(async_nats::header::NATS_MESSAGE_ID) {
            headers.insert("Nats-Msg-Id".into(), id.as_str().to_string());
        }
        out.push((
            m.subject.to_string(),
            Got {
                headers,
                body: serde_json::from_slice(&m.payload).unwrap_or(Value::Null),
            },
        ));
    }
    out
}

fn only_events(messages: &[(String, Got)]) -> Vec<Got> {
    messages
        .iter()
        .filter(|(_, g)| !g.id().is_empty())
        .map(|(_, g)| g.clone())
        .collect()
}

#[tokio::test]
async fn a_jetstream_consumer_receives_every_event_in_order_and_a_replay_is_deduplicated_by_event_id(
) {
    let app = gateway(&[SHARED.into()]).await;
    let js = jetstream_at(SHARED, None).await;
    let prefix = unique("og");
    let stream = stream_for(&js, &prefix, None).await;
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "nats", "url": format!("nats://{SHARED}"), "stream": stream,
               "subject": format!("{prefix}.{{channel}}.{{type}}")}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(d["url"], format!("nats://{SHARED}"));
    assert_eq!(
        (d["stream"].as_str(), d["kind"].as_str()),
        (Some(stream.as_str()), Some("nats"))
    );
    post_messages(&hook, &["alice", "bob", "carol"], 3, "hello").await;
    all_delivered(&app, id, 9).await;
    let events = stored(&app, &channel).await;
    let messages = read(&js, &stream).await;
    assert_eq!(messages.len(), 9);
    for (subject, got) in &messages {
        assert_eq!(subject, &format!("{prefix}.{channel}.message.received"));
        assert_eq!(
            got.headers["Nats-Msg-Id"],
            got.id(),
            "JetStream de-duplicates by event id"
        );
        assert_eq!(got.headers["Content-Type"], "application/json");
    }
    assert_received(&events, &only_events(&messages));

    // Within the stream's duplicate window JetStream acknowledges a replayed event without
    // storing it again: the replay is delivered, and the stream still holds each event once.
    assert_eq!(replay(&app, id).await, 9);
    let deliveries = all_delivered(&app, id, 18).await;
    let duplicates = deliveries
        .iter()
        .filter(|d| {
            d["last_error"]
                .as_str()
                .is_some_and(|e| e.starts_with("duplicate: "))
        })
        .count();
    assert_eq!(duplicates, 9, "{deliveries:?}");
    assert_eq!(read(&js, &stream).await.len(), 9);
    js.delete_stream(&stream).await.unwrap();
}

#[tokio::test]
async fn a_replay_after_the_duplicate_window_reaches_the_stream_again_with_the_same_ids() {
    let app = gateway(&[SHARED.into()]).await;
    let js = jetstream_at(SHARED, None).await;
    let prefix = unique("og");
    let stream = stream_for(&js, &prefix, Some(Duration::from_millis(500))).await;
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "nats", "url": format!("nats://{SHARED}"), "stream": stream,
               "subject": format!("{prefix}.{{conversation}}")}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    post_messages(&hook, &["dave", "erin"], 2, "before").await;
    all_delivered(&app, id, 4).await;
    // The window is over once a message published after the deliveries is no longer taken for
    // a duplicate of itself.
    let probe = format!("probe-{prefix}");
    let publish = || async {
        js.send_publish(
            format!("{prefix}.probe"),
            jetstream::message::PublishMessage::build().message_id(&probe),
        )
        .await
        .unwrap()
        .await
        .unwrap()
    };
    assert!(!publish().await.duplicate);
    eventually(10, "the duplicate window to pass", || async {
        (!publish().await.duplicate).then_some(())
    })
    .await;
    assert_eq!(replay(&app, id).await, 4);
    all_delivered(&app, id, 8).await;
    let got = only_events(&read(&js, &stream).await);
    let events = stored(&app, &channel).await;
    assert_eq!(got.len(), 8, "each event twice");
    let (first, again) = got.split_at(4);
    assert_received(&events, first);
    assert_received(&events, again);
    js.delete_stream(&stream).await.unwrap();
}

#[tokio::test]
async fn events_that_arrive_while_the_server_is_down_reach_the_stream_once_it_is_back_in_order() {
    let mut server = server(None).await;
    let app = gateway(&[server.addr()]).await;
    let js = jetstream_at(&server.addr(), None).await;
    let prefix = unique("og");
    let stream = stream_for(&js, &prefix, None).await;
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "nats", "url": format!("nats://{}", server.addr()), "stream": stream,
               "subject": format!("{prefix}.{{type}}")}),
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
    let js = jetstream_at(&server.addr(), None).await;
    let messages = read(&js, &stream).await;
    assert_eq!(messages.len(), 10, "nothing lost, nothing stored twice");
    assert_received(&stored(&app, &channel).await, &only_events(&messages));
}

#[tokio::test]
async fn a_wrong_token_is_a_dead_letter_that_says_the_server_refused_the_credentials() {
    let server = server(Some("the-right-token")).await;
    let app = gateway(&[server.addr()]).await;
    let (_, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "nats", "url": format!("nats://{}", server.addr()),
               "stream": "EVENTS", "token": "a-wrong-token-for-this-server"}),
    )
    .await;
    assert_eq!(d["token"], "****rver", "masked");
    post_messages(&hook, &["heidi"], 1, "hi").await;
    let reason = dead_reason(&app, d["id"].as_str().unwrap()).await;
    assert!(reason.starts_with("auth_failed: nats: "), "{reason}");
    assert!(
        reason.contains("refused the destination's credentials"),
        "{reason}"
    );
    assert!(
        !reason.contains("a-wrong-token-for-this-server"),
        "{reason}"
    );
}

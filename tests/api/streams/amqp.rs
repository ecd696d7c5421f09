//! `amqp` destinations against RabbitMQ on 127.0.0.1:5672 (guest/guest). Starting a private
//! RabbitMQ per test is impractical (an Erlang node takes seconds and a node name of its own),
//! so the outage is a TCP proxy the test owns between the gateway and the broker: closing it
//! drops every connection through it and refuses new ones, as a stopped broker would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::*;
use crate::helpers::free_port;

const SHARED: &str = "127.0.0.1:5672";

/// A TCP proxy to the broker that the test can close and open again on the same port.
struct Proxy {
    port: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start() -> Proxy {
        let p = Proxy {
            port: free_port(),
            tasks: Arc::default(),
        };
        p.open().await;
        p
    }

    async fn open(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(SHARED).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(relay);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Stops listening and cuts every connection through it.
    fn close(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.close();
    }
}

/// A consumer's side: a topic exchange and a queue bound to every routing key.
struct Consumer {
    _connection: Connection,
    channel: lapin::Channel,
    exchange: String,
    queue: String,
}

impl Consumer {
    async fn new() -> Consumer {
        let connection = Connection::connect(
            &format!("amqp://guest:guest@{SHARED}/%2f"),
            ConnectionProperties::default()
                .with_executor(tokio_executor_trait::Tokio::current())
                .with_reactor(tokio_reactor_trait::Tokio),
        )
        .await
        .unwrap();
        let channel = connection.create_channel().await.unwrap();
        let exchange = unique("og");
        let queue = format!("{exchange}-queue");
        channel
            .exchange_declare(
                &exchange,
                ExchangeKind::Topic,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_declare(
                &queue,
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                &queue,
                &exchange,
                "#",
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Consumer {
            _connection: connection,
            channel,
            exchange,
            queue,
        }
    }

    /// Every message in the queue now, in queue order, with its routing key.
    async fn take(&self) -> Vec<(String, Got)> {
        let mut out = Vec::new();
        while let Some(m) = self
            .channel
            .basic_get(&self.queue, BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            let d = m.delivery;
            let mut headers: HashMap<String, String> = d
                .properties
                .headers()
                .as_ref()
                .map(|t| {
                    t.inner()
                        .iter()
                        .filter_map(|(k, v)| match v {
                            AMQPValue::LongString(s) => Some((
                                k.as_str().to_string(),
                                String::from_utf8_lossy(s.as_bytes()).into_owned(),
                            )),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let property = |p: &Option<lapin::types::ShortString>| {
                p.as_ref()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default()
            };
            headers.insert("message_id".into(), property(d.properties.message_id()));
            headers.insert("content_type".into(), property(d.properties.content_type()));
            out.push((
                d.routing_key.as_str().to_string(),
                Got {
                    headers,
                    body: serde_json::from_slice(&d.data).unwrap_or(Value::Null),
                },
            ));
        }
        out
    }

    async fn remove(&self) {
        let _ = self
            .channel
            .exchange_delete(&self.exchange, ExchangeDeleteOptions::default())
            .await;
    }
}

fn messages(taken: Vec<(String, Got)>) -> Vec<Got> {
    taken.into_iter().map(|(_, g)| g).collect()
}

#[tokio::test]
async fn a_queue_bound_to_the_exchange_receives_every_event_in_order_and_a_replay_with_the_same_message_ids(
) {
    let app = gateway(&[SHARED.into()]).await;
    let consumer = Consumer::new().await;
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "amqp", "url": format!("amqp://{SHARED}/%2f"), "exchange": consumer.exchange,
               "username": "guest", "password": "guest"}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(d["routing_key"], "omnigate.{channel}.{type}");
    assert_eq!(d["password"], "****", "masked");
    post_messages(&hook, &["alice", "bob", "carol"], 3, "hello").await;
    all_delivered(&app, id, 9).await;
    let events = stored(&app, &channel).await;
    let taken = consumer.take().await;
    assert_eq!(taken.len(), 9);
    for (routing_key, got) in &taken {
        assert_eq!(routing_key, &format!("omnigate.{channel}.message.received"));
        assert_eq!(
            got.headers["message_id"],
            got.id(),
            "the event id is the message id"
        );
        assert_eq!(got.headers["content_type"], "application/json");
    }
    assert_received(&events, &messages(taken));

    assert_eq!(replay(&app, id).await, 9);
    all_delivered(&app, id, 18).await;
    let again = messages(consumer.take().await);
    assert_eq!(again.len(), 9);
    assert_received(&events, &again);
    consumer.remove().await;
}

#[tokio::test]
async fn events_that_arrive_while_the_broker_is_unreachable_reach_the_queue_once_it_is_back_in_order(
) {
    let proxy = Proxy::start().await;
    let app = gateway(&[proxy.addr()]).await;
    let consumer = Consumer::new().await;
    let (channel, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "amqp", "url": format!("amqp://{}", proxy.addr()),
               "exchange": consumer.exchange, "routing_key": "{conversation}"}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    post_messages(&hook, &["frank", "grace"], 2, "before").await;
    all_delivered(&app, id, 4).await;

    proxy.close();
    post_messages(&hook, &["frank", "grace"], 3, "during").await;
    let error = a_failed_attempt(&app, id).await;
    assert!(
        error.starts_with("connect_failed: ") || error.starts_with("timeout: "),
        "{error}"
    );
    proxy.open().await;

    all_delivered(&app, id, 10).await;
    let got = messages(consumer.take().await);
    assert_received(&stored(&app, &channel).await, &got);
    let ids: HashSet<&str> = got.iter().map(Got::id).collect();
    assert_eq!(
        (got.len(), ids.len()),
        (10, 10),
        "nothing lost, nothing twice"
    );
    consumer.remove().await;
}

#[tokio::test]
async fn a_wrong_password_is_a_dead_letter_that_says_the_broker_refused_the_credentials() {
    let app = gateway(&[SHARED.into()]).await;
    let (_, hook) = super::channel(&app).await;
    let d = destination(
        &app,
        json!({"kind": "amqp", "url": format!("amqp://{SHARED}"), "exchange": "amq.topic",
               "username": "guest", "password": "a-wrong-password-for-rabbit"}),
    )
    .await;
    assert_eq!(d["password"], "****bbit");
    post_messages(&hook, &["heidi"], 1, "hi").await;
    let reason = dead_reason(&app, d["id"].as_str().unwrap()).await;
    assert!(reason.starts_with("auth_failed: amqp: "), "{reason}");
    assert!(
        reason.contains("refused the destination's credentials"),
        "{reason}"
    );
    assert!(!reason.contains("a-wrong-password"), "{reason}");
}

//! Slow clients: a body that never finishes is cut off with 408 after `server.body_read_timeout`,
//! and one address cannot hold more than `server.max_requests_per_source` requests open.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Sends a webhook's head and the first byte of its body, then nothing more.
async fn partial_body(app: &TestApp, url: &str) -> TcpStream {
    let path = url.strip_prefix(&app.base).unwrap();
    let port = app.base.rsplit(':').next().unwrap();
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

#[tokio::test]
async fn a_body_that_never_finishes_is_answered_408_after_the_body_timeout() {
    let app = spawn_with(|s| s.server.body_read_timeout = Duration::from_secs(1)).await;
    let (_, url) = app.approved_naver_channel().await;
    let started = Instant::now();
    let mut s = partial_body(&app, &url).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut answer))
        .await
        .expect("answered before the client gave up")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn healthz_from(app: &TestApp, source: [u8; 4]) -> u16 {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(source))
        .build()
        .unwrap()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn one_address_cannot_hold_more_open_requests_than_its_cap() {
    let app = spawn_with(|s| {
        s.server.max_requests_per_source = 2;
        s.server.body_read_timeout = Duration::from_secs(60);
    })
    .await;
    let (_, url) = app.approved_naver_channel().await;
    let held = [
        partial_body(&app, &url).await,
        partial_body(&app, &url).await,
    ];
    eventually(10, "the third request refused", || async {
        (healthz_from(&app, [127, 0, 0, 1]).await == 429).then_some(())
    })
    .await;
    assert_eq!(
        healthz_from(&app, [127, 0, 0, 2]).await,
        200,
        "another address"
    );
    drop(held);
    eventually(10, "the address served again", || async {
        (healthz_from(&app, [127, 0, 0, 1]).await == 200).then_some(())
    })
    .await;
}

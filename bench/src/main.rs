//! End-to-end benchmark: webhooks sent at a steady open-loop rate (each scheduled in advance
//! and timed from its schedule, so a slow server cannot slow the sender down and hide its own
//! latency) to a running gateway, delivered to a local sink that verifies signatures. The
//! baseline in the same run: the same sender posting the same payloads straight to the sink.
//!
//! `cargo run --release -p omnigate-bench -- <gateway url> <admin token> <rate/s> <seconds>`

mod sink;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sink::{now_micros, Sink};

const SINK_PORT: u16 = 18190;
const USERS: u64 = 1000;

async fn api(
    client: &reqwest::Client,
    gw: &str,
    token: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let resp = client
        .post(format!("{gw}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
    Ok(resp.json().await?)
}

/// Sends `rate * seconds` bodies to `url` on schedule; returns how many were not answered 2xx.
async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    rate: u64,
    seconds: u64,
    naver_shape: bool,
) -> u64 {
    let total = rate * seconds;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let at = start + Duration::from_micros(i * 1_000_000 / rate);
        tokio::time::sleep_until(at.into()).await;
        let scheduled = now_micros();
        let text = format!("t={scheduled}");
        let body = if naver_shape {
            json!({"event": "send", "user": format!("bench-{}", i % USERS), "textContent": {"text": text, "inputType": "typing"}})
        } else {
            json!({"data": {"message": {"content": {"text": text}}}})
        };
        let (client, url) = (client.clone(), url.to_string());
        tasks.spawn(async move {
            match client.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => 0u64,
                _ => 1,
            }
        });
    }
    let mut failed = 0;
    while let Some(r) = tasks.join_next().await {
        failed += r.unwrap_or(1);
    }
    failed
}

fn report(label: &str, sink: &Sink, sent: u64, failed: u64) -> String {
    let h = sink.latencies.lock().map(|h| h.clone()).ok();
    let Some(h) = h else {
        return format!("| {label} | - |");
    };
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "| {label} | {sent} | {failed} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        h.len(),
        ms(0.5),
        ms(0.99),
        ms(0.999),
        h.max() as f64 / 1000.0
    )
}

async fn wait_for(sink: &Sink, n: u64, limit: Duration) {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if sink.latencies.lock().map(|h| h.len()).unwrap_or(0) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() == 5,
        "usage: omnigate-bench <gateway url> <admin token> <rate/s> <seconds>"
    );
    let (gw, token) = (args[1].trim_end_matches('/').to_string(), args[2].clone());
    let rate: u64 = args[3].parse()?;
    let seconds: u64 = args[4].parse()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    let sink = Sink::new()?;
    let server = sink::start(sink.clone(), SINK_PORT)?;
    let handle = server.handle();
    tokio::spawn(server);
    let sink_url = format!("http://127.0.0.1:{SINK_PORT}/in");

    // Baseline: the sender straight to the sink.
    let failed = open_loop(&client, &sink_url, rate, seconds, false).await;
    wait_for(&sink, rate * seconds, Duration::from_secs(10)).await;
    let baseline = report(
        "direct to the sink (baseline)",
        &sink,
        rate * seconds,
        failed,
    );
    if let Ok(mut h) = sink.latencies.lock() {
        h.reset();
    }

    let ch = api(&client, &gw, &token, "/v1/channels", json!({"provider": "naver_talktalk", "name": "bench", "credentials": {"account_id": "wbench", "send_api_key": "k"}})).await?;
    let id = ch["id"].as_str().unwrap_or_default().to_string();
    let pending = api(
        &client,
        &gw,
        &token,
        &format!("/v1/channels/{id}/approval-request"),
        json!({}),
    )
    .await?;
    api(
        &client,
        &gw,
        &token,
        &format!("/v1/channels/{id}/approve"),
        json!({}),
    )
    .await?;
    let dest = api(
        &client,
        &gw,
        &token,
        "/v1/destinations",
        json!({"url": sink_url, "event_types": ["message.received"]}),
    )
    .await?;
    let secret = dest["secret"].as_str().unwrap_or_default();
    if let Ok(mut s) = sink.secret.lock() {
        *s = Some(standardwebhooks::Webhook::new(secret)?);
    }
    let hook = pending["webhook_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let started = Instant::now();
    let failed = open_loop(&client, &hook, rate, seconds, true).await;
    let sent_in = started.elapsed();
    let during = sink.latencies.lock().map(|h| h.len()).unwrap_or(0);
    wait_for(&sink, rate * seconds - failed, Duration::from_secs(60)).await;
    let drained_in = started.elapsed();
    let gateway = report(
        "provider POST -> omnigate -> sink",
        &sink,
        rate * seconds,
        failed,
    );
    let bad = sink.bad_signatures.lock().map(|b| *b).unwrap_or(0);

    println!("open loop: {rate} webhooks/s for {seconds} s, {USERS} conversations");
    println!();
    println!("| path | sent | not 2xx | received | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    println!("{baseline}");
    println!("{gateway}");
    println!();
    println!(
        "delivered while sending: {during} of {}; all delivered {:.1} s after the first send (sending took {:.1} s); signatures failing verification: {bad}",
        rate * seconds - failed,
        drained_in.as_secs_f64(),
        sent_in.as_secs_f64()
    );
    handle.stop(true).await;
    Ok(())
}

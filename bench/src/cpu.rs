//! Instructions per webhook and per delivery, counted by callgrind: the figures that do not
//! depend on the machine or on what else it is doing (the same binary and inputs give the same
//! count to about 1 %). Kernel work (TCP, fsync) is not counted; the wall-clock scenarios cover
//! it.
//!
//! Each server runs under `valgrind --tool=callgrind`; after a warm-up, `callgrind_control -d`
//! dumps (and so resets) the counters, the measured requests are posted from 8 client tasks
//! over kept-alive connections, and a second dump holds exactly their cost (plus the server's
//! own timers meanwhile). The baseline is the bare ceiling server reading the same POSTs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::procs::{Ceiling, Gateway};
use crate::scenarios::{client, destination, SinkServer};
use crate::Options;

const CLIENTS: u64 = 8;
const USERS: u64 = 100;

/// A visitor's message in Korean, 68 bytes (the request adds a number).
const TEXT: &str = "안녕하세요 주문한 상품이 아직 도착하지 않았어요";

pub async fn cpu(o: &Options) -> anyhow::Result<()> {
    println!("\n## 8. Instructions per webhook and per delivery (callgrind)\n");
    if !present("valgrind") || !present("callgrind_control") {
        println!("skipped: valgrind is not installed (Debian: apt-get install valgrind)");
        return Ok(());
    }
    let (warmup, n) = (o.sizes.cpu_warmup, o.sizes.cpu_requests);
    println!(
        "{warmup} warm-up requests, then {n} Naver `send` webhooks ({USERS} users, {} bytes of \
         Korean text each) from {CLIENTS} client tasks over kept-alive connections; the \
         instructions the server ran for those {n}, divided by {n}. Baseline: the bare ceiling \
         server reading the same POSTs.\n",
        TEXT.len()
    );
    let dir = tempdir()?;

    let out = dir.join("ceiling.out");
    let ceiling = Ceiling::start_under(&callgrind(&out)).await?;
    let bare = measure(ceiling.pid(), &out, &ceiling.url, warmup, n, None).await?;
    drop(ceiling);

    let out = dir.join("ingest.out");
    let gw = Gateway::start_under(&callgrind(&out), &o.gateway, &[]).await?;
    let (_, hook) = gw.naver_channel("wcpu").await?;
    let ingest = measure(gw.pid(), &out, &hook, warmup, n, None).await?;
    drop(gw);

    let out = dir.join("delivery.out");
    let gw = Gateway::start_under(&callgrind(&out), &o.gateway, &[]).await?;
    let (_, hook) = gw.naver_channel("wcpu").await?;
    let sinks = SinkServer::start(crate::procs::free_port()?)?;
    destination(&gw, &format!("{}/in", sinks.url), &sinks.sink).await?;
    let both = measure(gw.pid(), &out, &hook, warmup, n, Some(&sinks)).await?;
    drop(gw);
    sinks.stop().await;
    let _ = std::fs::remove_dir_all(&dir);

    let per_delivery = both.saturating_sub(ingest);
    println!("| server | instructions per request | x bare server |");
    println!("|---|---:|---:|");
    println!("| bare server (baseline) | {bare} | 1.00 |");
    println!(
        "| omnigate, webhook stored (no destination) | {ingest} | {:.2} |",
        ingest as f64 / bare.max(1) as f64
    );
    println!(
        "| omnigate, webhook stored and delivered to one destination | {both} | {:.2} |",
        both as f64 / bare.max(1) as f64
    );
    println!(
        "| omnigate, per delivery (the difference) | {per_delivery} | {:.2} |",
        per_delivery as f64 / bare.max(1) as f64
    );
    Ok(())
}

fn present(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("omnigate-bench-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn callgrind(out: &Path) -> Vec<String> {
    vec![
        "valgrind".into(),
        "--tool=callgrind".into(),
        format!("--callgrind-out-file={}", out.display()),
    ]
}

/// Warms the server up, dumps, posts `n` webhooks (and waits until the sink has every one,
/// when there is a sink), dumps again: the second dump's instructions divided by `n`.
async fn measure(
    pid: u32,
    out: &Path,
    url: &str,
    warmup: u64,
    n: u64,
    sink: Option<&SinkServer>,
) -> anyhow::Result<u64> {
    post(url, 0, warmup).await?;
    if let Some(s) = sink {
        arrived(s, warmup).await?;
    }
    dump(pid)?;
    post(url, warmup, n).await?;
    if let Some(s) = sink {
        arrived(s, warmup + n).await?;
    }
    dump(pid)?;
    let second = PathBuf::from(format!("{}.2", out.display()));
    Ok(totals(&second)? / n.max(1))
}

/// Posts webhooks `first..first + n` from [`CLIENTS`] tasks; every one must be answered 2xx.
async fn post(url: &str, first: u64, n: u64) -> anyhow::Result<()> {
    let http = client()?;
    let next = Arc::new(AtomicU64::new(first));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (http, next, url) = (http.clone(), next.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= first + n {
                    return Ok::<(), anyhow::Error>(());
                }
                let body = json!({"event": "send", "user": format!("cpu-user-{}", i % USERS),
                                  "textContent": {"text": format!("{TEXT} {i}"),
                                                  "inputType": "typing"}});
                let resp = http
                    .post(&url)
                    .header("user-agent", "navertalk/v1")
                    .json(&body)
                    .send()
                    .await?;
                anyhow::ensure!(resp.status().is_success(), "webhook {i}: {}", resp.status());
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Waits until the sink has received `n` distinct events.
async fn arrived(sink: &SinkServer, n: u64) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(300);
    while sink.sink.distinct() < n {
        anyhow::ensure!(
            Instant::now() < until,
            "the sink received {} of {n} events",
            sink.sink.distinct()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Dumps (and resets) the counters of the callgrind run `pid`; returns once it is written.
fn dump(pid: u32) -> anyhow::Result<()> {
    let out = Command::new("callgrind_control")
        .args(["-d", &pid.to_string()])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "callgrind_control -d {pid}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The `totals:` (or `summary:`) line of a callgrind dump.
fn totals(file: &Path) -> anyhow::Result<u64> {
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .ok_or_else(|| anyhow::anyhow!("{}: no totals line", file.display()))
}

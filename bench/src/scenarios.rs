//! The scenarios. Each starts its own gateway (so each peak RSS is its own) and measures its
//! baseline in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::procs::{cpu_micros, free_port, fsync_probe, Ceiling, Gateway, Wrk, WrkResult};
use crate::sink::{self, now_micros, Sink};
use crate::Options;

/// Conversations the load is spread over.
const USERS: u64 = 1000;
/// Disk commits timed before each ingest point.
const FSYNC_SAMPLES: usize = 200;

struct Memory {
    rows: Vec<String>,
}

impl Memory {
    fn add(&mut self, what: &str, idle_kib: u64, peak_kib: u64) {
        self.rows.push(format!(
            "| {what} | {:.1} | {:.1} |",
            idle_kib as f64 / 1024.0,
            peak_kib as f64 / 1024.0
        ));
    }
}

fn sh(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub async fn run_all(o: &Options) -> anyhow::Result<()> {
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
        / 1024;
    let commit = sh("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = !sh("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    println!(
        "machine: {} cores, {mem_gib} GiB, {}; commit {commit}{}; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        sh("uname", &["-sr"]),
        if dirty { " (with local changes)" } else { "" },
        sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    );
    println!("command: {}", o.command);
    println!("gateway: embedded store (SQLite, synchronous = full), log level warn");
    let wrk = Wrk {
        script: std::path::PathBuf::from("scripts/naver-send.lua"),
    };
    anyhow::ensure!(
        wrk.script.exists(),
        "run from the repository root (scripts/naver-send.lua not found)"
    );
    let mut memory = Memory { rows: Vec::new() };
    if o.wants("ingest") {
        ingest(o, &wrk, &mut memory).await?;
    }
    if o.wants("payload") {
        payload(o, &wrk, &mut memory).await?;
    }
    if o.wants("e2e") {
        e2e(o, &mut memory).await?;
    }
    if o.wants("drain") {
        drain(o, &wrk, &mut memory).await?;
    }
    if o.wants("relay") {
        relay(o, &mut memory).await?;
    }
    if o.wants("hanging") {
        hanging(o, &mut memory).await?;
    }
    if o.wants("cpu") {
        crate::cpu::cpu(o).await?;
    }
    println!("\n## Memory (RSS, MiB)\n");
    println!("| process, scenario | idle after start | peak during the scenario |");
    println!("|---|---:|---:|");
    for row in &memory.rows {
        println!("{row}");
    }
    Ok(())
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "n/a".into()
    }
}

fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn ingest(o: &Options, wrk: &Wrk, memory: &mut Memory) -> anyhow::Result<()> {
    let s = &o.sizes;
    let ceiling = Ceiling::start().await?;
    let gw = Gateway::start(&o.gateway, &[]).await?;
    settle().await;
    let (ceiling_idle, gw_idle) = (ceiling.rss().0, gw.rss().0);
    let (_, hook) = gw.naver_channel("wbench").await?;
    println!("\n## 1. Ingest: Naver `send` webhooks vs the bare HTTP ceiling\n");
    println!(
        "wrk, {} s per point, 1,000 users, distinct bodies (~130 bytes); no destination. \
         Second baseline, measured just before each omnigate point in the gateway's data \
         directory: the disk's commit latency (4 KiB append + fdatasync, {FSYNC_SAMPLES} samples). \
         A webhook is answered only after its commit, so with c connections no durable ingest \
         can beat c / (fsync p50) (group commit shares one fsync between the requests in flight).\n",
        s.ingest_seconds
    );
    println!(
        "CPU per request: CPU time (user + system) the server process and wrk used during the \
         point, divided by the requests answered. Both share the machine's {} cores, so no \
         server can answer more than cores / (its CPU + wrk's CPU per request) per second.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| connections | ceiling req/s | ceiling p50 / p99 | omnigate req/s | omnigate p50 / p99 | omnigate / ceiling | CPU µs per request, ceiling + wrk | CPU µs per request, omnigate + wrk | fsync p50 / p99 | disk bound c / fsync p50 | omnigate / disk bound |");
    println!("|---:|---:|---|---:|---|---:|---:|---:|---|---:|---:|");
    let (mut sent, mut refused) = (0, 0);
    let mut ceilings = Vec::new();
    let per_request = |server_us: u64, r: &WrkResult| {
        let n = (r.requests as f64).max(1.0);
        format!("{:.1} + {:.1}", server_us as f64 / n, r.cpu_us as f64 / n)
    };
    for &c in &s.ingest_connections {
        let before = cpu_micros(ceiling.pid());
        let cr = wrk.run(&ceiling.url, c, s.ingest_seconds, 0).await?;
        let ceiling_cpu = cpu_micros(ceiling.pid()).saturating_sub(before);
        let (f50, f99) = fsync_probe(gw.data_dir(), FSYNC_SAMPLES)?;
        let before = cpu_micros(gw.pid());
        let or = wrk.run(&hook, c, s.ingest_seconds, 0).await?;
        let gw_cpu = cpu_micros(gw.pid()).saturating_sub(before);
        sent += or.requests;
        refused += or.non_2xx;
        let bound = c as f64 * 1e6 / f50.max(1) as f64;
        println!(
            "| {c} | {:.0} | {} / {} | {:.0} | {} / {} | {} | {} | {} | {}ms / {}ms | {bound:.0} | {} |",
            cr.rps,
            cr.p50,
            cr.p99,
            or.rps,
            or.p50,
            or.p99,
            ratio(or.rps, cr.rps),
            per_request(ceiling_cpu, &cr),
            per_request(gw_cpu, &or),
            ms(f50),
            ms(f99),
            ratio(or.rps, bound)
        );
        ceilings.push((c, cr.rps));
    }
    let stored = gw.metric("omnigate_events_stored_total").await;
    println!(
        "\nwebhooks sent to omnigate: {sent}, answered non-2xx: {refused}, events stored: {stored:.0} (wrk counts only answered requests; stored may exceed it by the requests in flight when wrk stopped)"
    );
    memory.add(
        "bare actix-web ceiling, ingest",
        ceiling_idle,
        ceiling.rss().1,
    );
    memory.add("omnigate, ingest", gw_idle, gw.rss().1);
    drop(gw);

    // The same points with `synchronous = normal` (a commit survives a crash of the process but
    // not of the machine): what ingest costs apart from waiting on the disk.
    let gw = Gateway::start(
        &o.gateway,
        &[("OMNIGATE__STORE__SYNCHRONOUS", "normal".to_string())],
    )
    .await?;
    settle().await;
    let idle = gw.rss().0;
    println!("\n### 1b. The same with `store.synchronous = \"normal\"` (no fsync per commit)\n");
    println!("Ceiling figures are the ones measured above in this run.\n");
    ingest_rows(&gw, "wnormal", wrk, &ceilings, s.ingest_seconds).await?;
    memory.add(
        "omnigate, ingest with synchronous = normal",
        idle,
        gw.rss().1,
    );
    drop(gw);
    redis_ingest(o, wrk, &ceilings, memory).await
}

/// Ingest into a new channel of `gw` at each connection count, one table row each against the
/// ceiling measured before, then the totals.
async fn ingest_rows(
    gw: &Gateway,
    account: &str,
    wrk: &Wrk,
    ceilings: &[(u32, f64)],
    seconds: u64,
) -> anyhow::Result<()> {
    let (_, hook) = gw.naver_channel(account).await?;
    println!("| connections | ceiling req/s | omnigate req/s | omnigate p50 / p99 | omnigate / ceiling |");
    println!("|---:|---:|---:|---|---:|");
    let (mut sent, mut refused) = (0, 0);
    for &(c, ceiling_rps) in ceilings {
        let or = wrk.run(&hook, c, seconds, 0).await?;
        sent += or.requests;
        refused += or.non_2xx;
        println!(
            "| {c} | {ceiling_rps:.0} | {:.0} | {} / {} | {} |",
            or.rps,
            or.p50,
            or.p99,
            ratio(or.rps, ceiling_rps)
        );
    }
    let stored = gw.metric("omnigate_events_stored_total").await;
    println!("\nwebhooks sent: {sent}, answered non-2xx: {refused}, events stored: {stored:.0}");
    Ok(())
}

/// Ingest on the Redis engine, when a Redis answers at `REDIS_URL`; its keys are removed after.
async fn redis_ingest(
    o: &Options,
    wrk: &Wrk,
    ceilings: &[(u32, f64)],
    memory: &mut Memory,
) -> anyhow::Result<()> {
    let s = &o.sizes;
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("ogbench-{}", std::process::id());
    println!("\n### 1c. The same on the Redis engine\n");
    let persistence = match redis_persistence(&url) {
        Ok(p) => p,
        Err(e) => {
            println!("skipped: no Redis answers at {url} ({e})");
            return Ok(());
        }
    };
    println!(
        "Redis at {url} ({persistence}): a webhook is answered once Redis has it, so its \
         durability is Redis's own persistence setting. Ceiling figures as above.\n"
    );
    let env = [
        ("OMNIGATE__STORE__KIND", "redis".to_string()),
        ("OMNIGATE__REDIS__URL", url.clone()),
        ("OMNIGATE__REDIS__KEY_PREFIX", prefix.clone()),
        // The redis engine needs an explicit master key (replicas share it); any 32 bytes.
        (
            "OMNIGATE__SECRETS__MASTER_KEY",
            "b21uaWdhdGUtYmVuY2gtbWFzdGVyLWtleS0zMmJ5dGU=".to_string(),
        ),
    ];
    let result = async {
        let gw = Gateway::start(&o.gateway, &env).await?;
        settle().await;
        let idle = gw.rss().0;
        ingest_rows(&gw, "wredis", wrk, ceilings, s.ingest_seconds).await?;
        memory.add("omnigate on Redis, ingest", idle, gw.rss().1);
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = remove_keys(&url, &prefix) {
        eprintln!("could not remove the benchmark's keys ({prefix}:*) from Redis: {e}");
    }
    result
}

/// Redis's persistence settings, as `appendonly="..", appendfsync="..", save=".."`.
fn redis_persistence(url: &str) -> anyhow::Result<String> {
    let mut conn = redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(2))?;
    let mut parts = Vec::new();
    for name in ["appendonly", "appendfsync", "save"] {
        let pair: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(&mut conn)?;
        let value = pair.get(1).cloned().unwrap_or_default();
        parts.push(format!("{name}={value:?}"));
    }
    Ok(parts.join(", "))
}

fn remove_keys(url: &str, prefix: &str) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(2))?;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query(&mut conn)?;
        if !keys.is_empty() {
            redis::cmd("UNLINK").arg(&keys).query::<()>(&mut conn)?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

async fn payload(o: &Options, wrk: &Wrk, memory: &mut Memory) -> anyhow::Result<()> {
    let s = &o.sizes;
    let connections = *s.ingest_connections.iter().max().unwrap_or(&16).min(&64);
    let ceiling = Ceiling::start().await?;
    let gw = Gateway::start(&o.gateway, &[]).await?;
    settle().await;
    let idle = gw.rss().0;
    let (_, hook) = gw.naver_channel("wpayload").await?;
    println!("\n## 6. Payload size: ingest at {connections} connections\n");
    println!("| body | ceiling req/s | omnigate req/s | omnigate MiB/s | omnigate p50 / p99 | omnigate / ceiling |");
    println!("|---:|---:|---:|---:|---|---:|");
    for &bytes in &s.payload_bytes {
        let cr = wrk
            .run(&ceiling.url, connections, s.payload_seconds, bytes)
            .await?;
        let or: WrkResult = wrk
            .run(&hook, connections, s.payload_seconds, bytes)
            .await?;
        anyhow::ensure!(or.non_2xx == 0, "{bytes}-byte bodies were refused");
        println!(
            "| {} KB | {:.0} | {:.0} | {:.1} | {} / {} | {} |",
            bytes / 1024,
            cr.rps,
            or.rps,
            or.rps * bytes as f64 / 1_048_576.0,
            or.p50,
            or.p99,
            ratio(or.rps, cr.rps)
        );
    }
    memory.add("omnigate, payload sizes", idle, gw.rss().1);
    Ok(())
}

/// Sends `total` requests at `rate` per second, each scheduled in advance and stamped with its
/// scheduled time (so a slow server cannot slow the sender and hide its own latency: no
/// coordinated omission). Returns how many were not answered 2xx.
async fn open_loop<F>(total: u64, rate: u64, make: F) -> u64
where
    F: Fn(u64, u64) -> reqwest::RequestBuilder,
{
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let at = start + Duration::from_micros(i * 1_000_000 / rate.max(1));
        tokio::time::sleep_until(at.into()).await;
        let request = make(i, now_micros());
        tasks.spawn(async move {
            match request.send().await {
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

async fn wait_received(sink: &Sink, n: u64, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if sink.received() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sink.received() >= n
}

fn latency_row(label: &str, sink: &Sink, sent: u64, failed: u64) -> String {
    let Some(h) = sink.histogram() else {
        return format!("| {label} | {sent} | {failed} | - | - | - | - | - |");
    };
    format!(
        "| {label} | {sent} | {failed} | {} | {} | {} | {} | {} |",
        sink.received(),
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.value_at_quantile(0.999)),
        ms(h.max())
    )
}

pub(crate) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?)
}

pub(crate) struct SinkServer {
    pub(crate) sink: Arc<Sink>,
    pub(crate) url: String,
    handle: actix_web::dev::ServerHandle,
}

impl SinkServer {
    pub(crate) fn start(port: u16) -> anyhow::Result<SinkServer> {
        let sink = Sink::new()?;
        let server = sink::start(sink.clone(), port)?;
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(SinkServer {
            sink,
            url: format!("http://127.0.0.1:{port}"),
            handle,
        })
    }

    pub(crate) async fn stop(self) {
        self.handle.stop(true).await;
    }
}

pub(crate) async fn destination(gw: &Gateway, url: &str, sink: &Sink) -> anyhow::Result<()> {
    let dest = gw
        .api(
            "/v1/destinations",
            json!({"url": url, "event_types": ["message.received"]}),
        )
        .await?;
    let secret = dest["secret"].as_str().unwrap_or_default();
    if let Ok(mut s) = sink.secret.lock() {
        *s = Some(standardwebhooks::Webhook::new(secret)?);
    }
    Ok(())
}

fn naver_send(user: u64, scheduled: u64) -> serde_json::Value {
    json!({"event": "send", "user": format!("bench-{user}"),
           "textContent": {"text": format!("t={scheduled}"), "inputType": "typing"}})
}

async fn e2e(o: &Options, memory: &mut Memory) -> anyhow::Result<()> {
    let s = &o.sizes;
    let total = s.e2e_rate * s.e2e_seconds;
    let http = client()?;
    let sinks = SinkServer::start(free_port()?)?;
    let sink = sinks.sink.clone();
    let sink_url = format!("{}/in", sinks.url);

    // Baseline: the same sender straight to the sink.
    let failed = {
        let (http, url) = (http.clone(), sink_url.clone());
        open_loop(total, s.e2e_rate, move |_, t| {
            http.post(&url)
                .json(&json!({"data": {"message": {"content": {"text": format!("t={t}")}}}}))
        })
        .await
    };
    wait_received(&sink, total - failed, Duration::from_secs(10)).await;
    let baseline = latency_row("direct to the sink (baseline)", &sink, total, failed);
    sink.reset();

    let gw = Gateway::start(&o.gateway, &[]).await?;
    settle().await;
    let idle = gw.rss().0;
    let (_, hook) = gw.naver_channel("we2e").await?;
    destination(&gw, &sink_url, &sink).await?;
    // The backlog: queued deliveries, read from the gateway's metrics once a second.
    let backlog = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let sampler = {
        let (backlog, url) = (backlog.clone(), gw.url.clone());
        actix_web::rt::spawn(async move {
            let probe = reqwest::Client::new();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let text = match probe.get(format!("{url}/metrics")).send().await {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(_) => continue,
                };
                let queued = text
                    .lines()
                    .find(|l| l.starts_with("omnigate_deliveries_queued "))
                    .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
                if let (Some(q), Ok(mut b)) = (queued, backlog.lock()) {
                    b.push(q);
                }
            }
        })
    };
    let started = Instant::now();
    let failed = {
        let (http, hook) = (http.clone(), hook.clone());
        open_loop(total, s.e2e_rate, move |i, t| {
            http.post(&hook).json(&naver_send(i % USERS, t))
        })
        .await
    };
    let sending = started.elapsed();
    let during = sink.received();
    let all = wait_received(&sink, total - failed, Duration::from_secs(120)).await;
    let drained = started.elapsed();
    sampler.abort();
    let samples = backlog.lock().map(|b| b.clone()).unwrap_or_default();
    let gateway = latency_row("provider POST -> omnigate -> sink", &sink, total, failed);

    println!(
        "\n## 2. End to end: {} webhooks/s for {} s, open loop, {USERS} conversations\n",
        s.e2e_rate, s.e2e_seconds
    );
    println!("Latency from the scheduled send time to the sink verifying the signed delivery.\n");
    println!("| path | sent | not 2xx | received | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    println!("{baseline}");
    println!("{gateway}");
    let third = samples.len() / 3;
    let avg = |v: &[f64]| v.iter().fold(0.0, |a, b| a + b) / v.len().max(1) as f64;
    println!(
        "\nall {} delivered: {all}, {:.1} s after the first send (sending took {:.1} s; {during} delivered while sending); signatures failing verification: {}",
        total - failed,
        drained.as_secs_f64(),
        sending.as_secs_f64(),
        sink.bad_signatures.load(std::sync::atomic::Ordering::SeqCst)
    );
    println!(
        "backlog (queued deliveries, sampled each second while sending): max {:.0}, mean of the first third {:.1}, of the last third {:.1}",
        samples.iter().cloned().fold(0.0, f64::max),
        avg(&samples[..third.min(samples.len())]),
        avg(&samples[samples.len() - third..])
    );
    memory.add("omnigate, end to end", idle, gw.rss().1);
    sinks.stop().await;
    Ok(())
}

async fn drain(o: &Options, wrk: &Wrk, memory: &mut Memory) -> anyhow::Result<()> {
    let n = o.sizes.drain_events;
    let sink_port = free_port()?;
    // While the helpdesk is down every lane's first delivery fails and is retried every 3 s,
    // for long enough that nothing is dead-lettered before it comes back.
    let mut schedule = vec!["3s"; 600];
    schedule[0] = "0s";
    let schedule = schedule.join(",");
    let gw = Gateway::start(
        &o.gateway,
        &[("OMNIGATE__DELIVERY__RETRY_SCHEDULE", schedule)],
    )
    .await?;
    settle().await;
    let idle = gw.rss().0;
    let (_, hook) = gw.naver_channel("wdrain").await?;
    let sink = Sink::new()?;
    destination(&gw, &format!("http://127.0.0.1:{sink_port}/in"), &sink).await?;

    // Fill: wrk sends n webhooks; the helpdesk is not listening.
    let started = Instant::now();
    let mut child = wrk.spawn_total(&hook, 64, n)?;
    let mut last = (0.0, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stored = gw.metric("omnigate_events_stored_total").await;
        if stored >= n as f64 {
            break;
        }
        if stored > last.0 {
            last = (stored, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(15) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let filled_in = started.elapsed();
    let stored = gw.metric("omnigate_events_stored_total").await as u64;
    let rss_filled = gw.rss().0;
    let listings = listing_times(&gw).await?;

    // The helpdesk comes back.
    let back = now_micros();
    let server = sink::start(sink.clone(), sink_port)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let mut peak_rss = 0;
    let until = Instant::now() + Duration::from_secs(60 + stored / 500);
    // Requests wrk had in flight when it was stopped may still be stored after the count above:
    // the drain is done when every event stored by now has arrived, each counted once.
    let mut stored = stored;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak_rss = peak_rss.max(gw.rss().0);
        stored = gw.metric("omnigate_events_stored_total").await as u64;
        if sink.distinct() >= stored {
            break;
        }
    }
    let received = sink.distinct();
    let redelivered = sink.received().saturating_sub(received);
    let first = sink.first_micros.load(std::sync::atomic::Ordering::SeqCst);
    let last_at = sink.last_micros.load(std::sync::atomic::Ordering::SeqCst);
    let span = (last_at.saturating_sub(first)) as f64 / 1e6;
    println!("\n## 3. Backlog drain: {n} webhooks accepted while the helpdesk is down\n");
    println!("| | value |");
    println!("|---|---:|");
    println!("| events stored while down | {stored} |");
    println!(
        "| fill rate (webhooks/s, wrk 64 connections) | {:.0} |",
        stored as f64 / filled_in.as_secs_f64()
    );
    println!(
        "| RSS when the helpdesk comes back (MiB) | {:.1} |",
        rss_filled as f64 / 1024.0
    );
    println!("| delivered after it came back | {received} |");
    println!("| delivered again (at-least-once, same webhook-id) | {redelivered} |");
    println!(
        "| first delivery after it came back (s) | {:.1} |",
        first.saturating_sub(back) as f64 / 1e6
    );
    println!(
        "| drain rate, first to last delivery (deliveries/s) | {:.0} |",
        if span > 0.0 {
            received as f64 / span
        } else {
            0.0
        }
    );
    println!(
        "| signatures failing verification | {} |",
        sink.bad_signatures
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    println!(
        "| peak RSS while draining (MiB) | {:.1} |",
        peak_rss as f64 / 1024.0
    );
    println!(
        "\n### 3b. Listing the filled store's events (`GET /v1/events`, 50 per page, median of \
         {LISTING_RUNS} requests)\n"
    );
    println!("The baseline is the first page with no filter (50 rows read in order).\n");
    println!("| query | ms | x baseline |");
    println!("|---|---:|---:|");
    let baseline = listings.first().map_or(1.0, |l| l.1);
    for (what, ms) in &listings {
        println!("| {what} | {ms:.2} | {:.1} |", ms / baseline);
    }
    memory.add("omnigate, backlog fill and drain", idle, gw.rss().1);
    handle.stop(true).await;
    Ok(())
}

const LISTING_RUNS: usize = 5;

/// Median times of a few event listings on a filled store: no filter (the baseline), one
/// conversation, one channel, and a type with two events in the whole log (a sparse filter,
/// which finds its page only by searching everything).
async fn listing_times(gw: &Gateway) -> anyhow::Result<Vec<(String, f64)>> {
    let first = gw.get("/v1/events?type=message.received&limit=1").await?;
    let conversation = first["items"][0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let channel = first["items"][0]["data"]["channel"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let queries = [
        ("no filter".to_string(), "limit=50".to_string()),
        (
            "one conversation (of 1,000)".to_string(),
            format!("conversation={conversation}&limit=50"),
        ),
        (
            "the channel".to_string(),
            format!("channel={channel}&limit=50"),
        ),
        (
            "type `channel.state_changed` (2 in the log)".to_string(),
            "type=channel.state_changed&limit=50".to_string(),
        ),
    ];
    let mut out = Vec::new();
    for (what, query) in queries {
        let mut times = Vec::with_capacity(LISTING_RUNS);
        for _ in 0..LISTING_RUNS {
            let started = Instant::now();
            gw.get(&format!("/v1/events?{query}")).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        out.push((what, times[LISTING_RUNS / 2]));
    }
    Ok(out)
}

async fn relay(o: &Options, memory: &mut Memory) -> anyhow::Result<()> {
    let s = &o.sizes;
    let http = client()?;
    let fake = SinkServer::start(free_port()?)?;
    let sink = fake.sink.clone();
    let gw = Gateway::start(
        &o.gateway,
        &[(
            "OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE",
            fake.url.clone(),
        )],
    )
    .await?;
    settle().await;
    let idle = gw.rss().0;
    // One conversation per channel, opened by a visitor's message.
    let mut conversations = Vec::new();
    for k in 0..s.relay_channels {
        let (id, hook) = gw.naver_channel(&format!("wrelay{k}")).await?;
        let resp = http.post(&hook).json(&naver_send(k, 0)).send().await?;
        anyhow::ensure!(resp.status().is_success(), "webhook: {}", resp.status());
        let events = gw
            .get(&format!(
                "/v1/events?channel={id}&type=message.received&limit=1"
            ))
            .await?;
        let cid = events["items"][0]["data"]["conversation"]["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no conversation for channel {id}"))?
            .to_string();
        conversations.push(cid);
    }
    let channels = s.relay_channels;
    let rate = channels * s.relay_rate_per_channel;
    let total = rate * s.relay_seconds;

    // Baseline: the same bodies straight to the fake send API.
    let failed = {
        let (http, url) = (http.clone(), format!("{}/chatbot/v1/event", fake.url));
        open_loop(total, rate, move |i, t| {
            let mut body = naver_send(i % channels, t);
            body["event"] = json!("send");
            http.post(&url).json(&body)
        })
        .await
    };
    wait_received(&sink, total - failed, Duration::from_secs(10)).await;
    let baseline = latency_row(
        "direct to the fake send API (baseline)",
        &sink,
        total,
        failed,
    );
    let direct = sink.histogram();
    sink.reset();

    let failed = {
        let (http, gw_url, token) = (http.clone(), gw.url.clone(), gw.token.clone());
        let conversations = conversations.clone();
        open_loop(total, rate, move |i, t| {
            let cid = &conversations[(i % channels) as usize];
            http.post(format!("{gw_url}/v1/conversations/{cid}/messages"))
                .bearer_auth(&token)
                .json(&json!({"content": {"type": "text", "text": format!("t={t}")}}))
        })
        .await
    };
    wait_received(&sink, total - failed, Duration::from_secs(60)).await;
    let relayed = latency_row(
        "helpdesk POST -> omnigate relay -> fake send API",
        &sink,
        total,
        failed,
    );
    let through = sink.histogram();
    println!(
        "\n## 4. Relay: replies to {channels} Naver channels at {rate}/s in all ({} per channel per second, under Naver's limit) for {} s\n",
        s.relay_rate_per_channel, s.relay_seconds
    );
    println!("| path | sent | not 2xx | received | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    println!("{baseline}");
    println!("{relayed}");
    if let (Some(d), Some(r)) = (direct, through) {
        println!(
            "\nadded by the relay: p50 {} ms, p99 {} ms",
            ms(r.value_at_quantile(0.5)
                .saturating_sub(d.value_at_quantile(0.5))),
            ms(r.value_at_quantile(0.99)
                .saturating_sub(d.value_at_quantile(0.99)))
        );
    }

    // Throughput under the per-channel rate limit: a burst to every channel at once.
    sink.reset();
    let burst = s.relay_burst_per_channel;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..burst {
        for cid in &conversations {
            let request = http
                .post(format!("{}/v1/conversations/{cid}/messages", gw.url))
                .bearer_auth(&gw.token)
                .json(&json!({"content": {"type": "text", "text": format!("burst {round}")}}));
            tasks.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
        }
    }
    let mut accepted = 0u64;
    while let Some(r) = tasks.join_next().await {
        if matches!(r, Ok(Ok(202))) {
            accepted += 1;
        }
    }
    let all = wait_received(&sink, accepted, Duration::from_secs(30 + burst)).await;
    let took = started.elapsed().as_secs_f64();
    let calls = sink
        .provider_calls
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let busiest = sink::max_calls_in_window(&calls, 3_000_000);
    // Naver: fewer than 30 calls in any 3 seconds per channel.
    let limit = channels as f64 * 28.0 / 3.0;
    println!(
        "\nburst: {burst} replies to each of {channels} channels at once; {accepted} accepted, all sent: {all}, in {took:.1} s = {:.0} replies/s (Naver's limit, calls spaced 3 s / 28 apart per channel, allows {limit:.0}/s across these channels); most calls to one channel in any 3 s: {busiest} (Naver allows fewer than 30)",
        sink.received() as f64 / took
    );
    memory.add("omnigate, relay", idle, gw.rss().1);
    fake.stop().await;
    Ok(())
}

/// Environment settings a scenario's gateway starts with.
type GatewayEnv = Vec<(&'static str, String)>;

/// Destinations that accept and never answer, in the `hanging` scenario.
const HANGING: usize = 4;

/// A helpdesk that accepts connections and never answers: each is held until the task ends.
async fn hanging_helpdesk() -> anyhow::Result<(String, actix_web::rt::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/in", listener.local_addr()?);
    let task = actix_web::rt::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    Ok((url, task))
}

/// A healthy destination's latency with none, then `HANGING` destinations that never answer
/// beside it, each run on a fresh gateway with the default delivery settings (64 workers, a
/// share of 8 per destination, 10 s timeout, breaker after 5 timeouts); the last row gives
/// every destination all the workers, as before destinations had a share.
async fn hanging(o: &Options, memory: &mut Memory) -> anyhow::Result<()> {
    let s = &o.sizes;
    let total = s.hanging_rate * s.hanging_seconds;
    let http = client()?;
    println!(
        "\n## 7. A healthy destination behind {HANGING} that hang: {} webhooks/s for {} s, open loop, {USERS} conversations\n",
        s.hanging_rate, s.hanging_seconds
    );
    println!(
        "Every event goes to every destination; the hanging ones accept the connection and never \
         answer (each attempt waits out `delivery.request_timeout`, 10 s). Latency from the \
         scheduled send time to the healthy sink verifying the signed delivery; the first row \
         is the baseline, measured in the same run.\n"
    );
    println!("| hanging destinations | sent | not 2xx | received by the healthy one | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let runs: [(usize, &str, GatewayEnv); 3] = [
        (0, "none (baseline)", vec![]),
        (HANGING, "4, default share (8 of 64 workers each)", vec![]),
        (
            HANGING,
            "4, no share (`per_destination_concurrency = 64`)",
            vec![(
                "OMNIGATE__DELIVERY__PER_DESTINATION_CONCURRENCY",
                "64".to_string(),
            )],
        ),
    ];
    for (n, label, env) in runs {
        let sinks = SinkServer::start(free_port()?)?;
        let sink = sinks.sink.clone();
        let gw = Gateway::start(&o.gateway, &env).await?;
        settle().await;
        let idle = gw.rss().0;
        let (_, hook) = gw.naver_channel("whang").await?;
        let mut helpdesks = Vec::new();
        for _ in 0..n {
            let (url, task) = hanging_helpdesk().await?;
            gw.api(
                "/v1/destinations",
                json!({"url": url, "event_types": ["message.received"]}),
            )
            .await?;
            helpdesks.push(task);
        }
        destination(&gw, &format!("{}/in", sinks.url), &sink).await?;
        let failed = {
            let (http, hook) = (http.clone(), hook.clone());
            open_loop(total, s.hanging_rate, move |i, t| {
                http.post(&hook).json(&naver_send(i % USERS, t))
            })
            .await
        };
        wait_received(&sink, total - failed, Duration::from_secs(120)).await;
        println!("{}", latency_row(label, &sink, total, failed));
        if n > 0 && env.is_empty() {
            memory.add("omnigate, 4 hanging destinations", idle, gw.rss().1);
        }
        for task in helpdesks {
            task.abort();
        }
        sinks.stop().await;
    }
    Ok(())
}

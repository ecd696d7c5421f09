//! The processes a benchmark runs: the gateway under test, the bare HTTP ceiling, and wrk.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Resident memory of a process, in KiB: (current, peak).
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) a process has used, in microseconds (`/proc/<pid>/stat`).
pub fn cpu_micros(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat_cpu_micros(&stat, 11)
}

/// CPU time of this process's children that have ended and been waited for, in microseconds.
fn children_cpu_micros() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    stat_cpu_micros(&stat, 13)
}

/// The sum of the two clock-tick fields at `first` and `first + 1`, counted after the command
/// name's closing parenthesis (utime is 11, cutime 13), in microseconds (Linux's USER_HZ is 100).
fn stat_cpu_micros(stat: &str, first: usize) -> u64 {
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    let ticks =
        fields.get(first).copied().unwrap_or(0) + fields.get(first + 1).copied().unwrap_or(0);
    ticks * 10_000
}

/// The disk's own commit latency, the floor under every durable acknowledgement: appends 4 KiB
/// and `fdatasync`s it `n` times in `dir`. Returns (p50, p99) in microseconds.
pub fn fsync_probe(dir: &Path, n: usize) -> std::io::Result<(u64, u64)> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let block = vec![0u8; 4096];
    let mut samples = Vec::with_capacity(n.max(1));
    for _ in 0..n.max(1) {
        file.write_all(&block)?;
        let started = Instant::now();
        file.sync_data()?;
        samples.push(started.elapsed().as_micros() as u64);
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    Ok((at(0.5), at(0.99)))
}

/// `program` run by `wrapper` (a program and its arguments; empty: `program` itself).
fn wrapped(wrapper: &[String], program: &Path) -> Command {
    match wrapper.split_first() {
        Some((first, args)) => {
            let mut cmd = Command::new(first);
            cmd.args(args).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A gateway started on loopback with its own data directory, stopped and removed on drop.
pub struct Gateway {
    child: Child,
    pub url: String,
    pub token: String,
    data: PathBuf,
    client: reqwest::Client,
}

impl Gateway {
    pub async fn start(bin: &Path, env: &[(&str, String)]) -> anyhow::Result<Gateway> {
        Gateway::start_under(&[], bin, env).await
    }

    /// Starts the gateway as the last argument of `wrapper` (a program and its arguments, such
    /// as valgrind's; empty: the gateway itself), so the process measured is the gateway's.
    pub async fn start_under(
        wrapper: &[String],
        bin: &Path,
        env: &[(&str, String)],
    ) -> anyhow::Result<Gateway> {
        let port = free_port()?;
        let data =
            std::env::temp_dir().join(format!("omnigate-bench-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        // Long and varied enough for the gateway's admin token strength rule.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let token = format!("ogt_bench_{port}_{}_{nanos:08x}", std::process::id());
        let mut cmd = wrapped(wrapper, bin);
        cmd.arg("serve")
            .env("OMNIGATE__SERVER__PORT", port.to_string())
            .env("OMNIGATE__STORE__PATH", &data)
            .env("OMNIGATE__ADMIN__TOKEN", &token)
            .env("OMNIGATE__LOG__LEVEL", "warn")
            // The sink listens on loopback, and the load is the point: no flood control.
            .env("OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS", "true")
            .env("OMNIGATE__SECURITY__WEBHOOK_RATE_PER_SECOND", "0")
            .env("OMNIGATE__SERVER__MAX_REQUESTS_PER_SOURCE", "100000")
            .env("OMNIGATE__SECURITY__API_RATE_PER_SECOND", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn()?;
        let gw = Gateway {
            child,
            url: format!("http://127.0.0.1:{port}"),
            token,
            data,
            client: reqwest::Client::new(),
        };
        // Under an instrumenting wrapper a start takes many times as long.
        let wait = if wrapper.is_empty() { 30 } else { 300 };
        let until = Instant::now() + Duration::from_secs(wait);
        loop {
            let ready = gw
                .client
                .get(format!("{}/readyz", gw.url))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                return Ok(gw);
            }
            anyhow::ensure!(Instant::now() < until, "the gateway did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The gateway's data directory (where its store commits).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    pub fn rss(&self) -> (u64, u64) {
        rss_kib(self.pid())
    }

    pub async fn api(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let resp = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
        Ok(resp.json().await?)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
        Ok(resp.json().await?)
    }

    /// Creates and approves a Naver TalkTalk channel; returns (channel id, webhook URL).
    pub async fn naver_channel(&self, account: &str) -> anyhow::Result<(String, String)> {
        let ch = self
            .api(
                "/v1/channels",
                json!({"provider": "naver_talktalk", "name": account,
                       "credentials": {"account_id": account, "send_api_key": "bench-key"}}),
            )
            .await?;
        let id = ch["id"].as_str().unwrap_or_default().to_string();
        let pending = self
            .api(&format!("/v1/channels/{id}/approval-request"), json!({}))
            .await?;
        self.api(&format!("/v1/channels/{id}/approve"), json!({}))
            .await?;
        let hook = pending["webhook_url"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok((id, hook))
    }

    /// The sum of a Prometheus metric's samples (all label sets).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = match self
            .client
            .get(format!("{}/metrics", self.url))
            .send()
            .await
        {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => return 0.0,
        };
        text.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The bare HTTP ceiling (`omnigate-bench ceiling <port>`) in its own process, as the gateway is.
pub struct Ceiling {
    child: Child,
    pub url: String,
}

impl Ceiling {
    pub async fn start() -> anyhow::Result<Ceiling> {
        Ceiling::start_under(&[]).await
    }

    /// As [`Gateway::start_under`].
    pub async fn start_under(wrapper: &[String]) -> anyhow::Result<Ceiling> {
        let port = free_port()?;
        let exe = std::env::current_exe()?;
        let child = wrapped(wrapper, &exe)
            .args(["ceiling", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}/hooks/ceiling");
        let wait = if wrapper.is_empty() { 10 } else { 120 };
        let until = Instant::now() + Duration::from_secs(wait);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < until, "the ceiling server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Ceiling { child, url })
    }

    pub fn rss(&self) -> (u64, u64) {
        rss_kib(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bare ceiling server: reads the POST body and answers 200, nothing else, on the same
/// framework and worker count as the gateway.
pub fn run_ceiling(port: u16) -> std::io::Result<()> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    async fn ack(_body: web::Bytes) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .route("/hooks/{key}", web::post().to(ack))
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })
}

/// One wrk run's figures.
#[derive(Debug, Default, Clone)]
pub struct WrkResult {
    pub rps: f64,
    pub p50: String,
    pub p99: String,
    pub requests: u64,
    pub non_2xx: u64,
    /// CPU time wrk itself used, in microseconds.
    pub cpu_us: u64,
}

pub struct Wrk {
    pub script: PathBuf,
}

impl Wrk {
    pub fn check() -> anyhow::Result<()> {
        let ok = Command::new("wrk")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        anyhow::ensure!(ok, "wrk is needed (Debian: apt-get install wrk)");
        Ok(())
    }

    fn command(&self, url: &str, connections: u32, seconds: u64, body_bytes: usize) -> Command {
        let threads = connections.clamp(1, 2);
        let mut cmd = Command::new("wrk");
        cmd.args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--latency".into(),
            "-s".into(),
        ])
        .arg(&self.script)
        .arg(url)
        .env("OG_BODY_BYTES", body_bytes.to_string());
        cmd
    }

    /// Runs wrk for `seconds` and parses its report.
    pub async fn run(
        &self,
        url: &str,
        connections: u32,
        seconds: u64,
        body_bytes: usize,
    ) -> anyhow::Result<WrkResult> {
        let mut cmd = self.command(url, connections, seconds, body_bytes);
        let (out, cpu_us) = tokio::task::spawn_blocking(move || {
            let before = children_cpu_micros();
            let out = cmd.output();
            (out, children_cpu_micros().saturating_sub(before))
        })
        .await?;
        let out = out?;
        anyhow::ensure!(out.status.success(), "wrk failed");
        Ok(WrkResult {
            cpu_us,
            ..parse(&String::from_utf8_lossy(&out.stdout))
        })
    }

    /// Starts wrk sending `total` requests in all (each thread stops after its share); the
    /// caller kills it once it has seen them arrive.
    pub fn spawn_total(&self, url: &str, connections: u32, total: u64) -> anyhow::Result<Child> {
        let threads = u64::from(connections.clamp(1, 2));
        let mut cmd = self.command(url, connections, 3600, 0);
        cmd.env("OG_REQUESTS_PER_THREAD", (total / threads).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Ok(cmd.spawn()?)
    }
}

fn parse(report: &str) -> WrkResult {
    let mut r = WrkResult::default();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => r.rps = v.parse().unwrap_or(0.0),
            ["50%", v] => r.p50 = v.to_string(),
            ["99%", v] => r.p99 = v.to_string(),
            [n, "requests", "in", ..] => r.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => r.non_2xx = n.parse().unwrap_or(0),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_after_the_command_name() {
        // pid (comm with ") " inside) state ppid ... utime=250 stime=50 cutime=7 cstime=3
        let stat = "42 (a) b) S 1 2 3 4 5 6 7 8 9 10 250 50 7 3 20 0";
        assert_eq!(stat_cpu_micros(stat, 11), 3_000_000);
        assert_eq!(stat_cpu_micros(stat, 13), 100_000);
        assert_eq!(stat_cpu_micros("garbage", 11), 0);
        assert!(cpu_micros(std::process::id()) < u64::MAX);
    }

    #[test]
    fn a_wrk_report_is_read() {
        let report = "Running 1s test @ http://127.0.0.1:1/hooks/x\n  2 threads and 16 connections\n  Latency Distribution\n     50%  181.00us\n     75%  1.00ms\n     90%  2.00ms\n     99%    4.13ms\n  88997 requests in 1.00s, 6.45MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  88997.12\nTransfer/sec:      6.45MB\n";
        let r = parse(report);
        assert_eq!(r.requests, 88997);
        assert_eq!(r.non_2xx, 3);
        assert_eq!(r.p50, "181.00us");
        assert_eq!(r.p99, "4.13ms");
        assert!((r.rps - 88997.12).abs() < 0.01);
    }
}

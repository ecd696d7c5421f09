//! omnigate's benchmark: ingest against the machine's HTTP ceiling, end-to-end delivery, backlog
//! drain, relay, a healthy destination behind hanging ones, and memory, each scenario with its baseline measured in the same run. Prints
//! markdown tables for `BENCHMARKS.md`.
//!
//! `scripts/bench.sh` builds in release mode and runs this; by hand:
//! `omnigate-bench [--quick] [--only ingest,payload,e2e,drain,relay,hanging,cpu] [--gateway <path>]`.
//! wrk (Debian's package) generates the closed-loop load; the open-loop sender, the verifying
//! helpdesk sink and the fake provider are here, since no established tool does those.

mod cpu;
mod procs;
mod scenarios;
mod sink;

use std::path::PathBuf;

/// How big each scenario is.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub ingest_seconds: u64,
    pub ingest_connections: Vec<u32>,
    pub payload_seconds: u64,
    pub payload_bytes: Vec<usize>,
    pub e2e_rate: u64,
    pub e2e_seconds: u64,
    pub drain_events: u64,
    pub relay_channels: u64,
    pub relay_rate_per_channel: u64,
    pub relay_seconds: u64,
    pub relay_burst_per_channel: u64,
    pub hanging_rate: u64,
    pub hanging_seconds: u64,
    pub cpu_warmup: u64,
    pub cpu_requests: u64,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            ingest_seconds: 10,
            ingest_connections: vec![1, 16, 64, 256],
            payload_seconds: 10,
            payload_bytes: vec![1_024, 10_240, 102_400],
            e2e_rate: 2_000,
            e2e_seconds: 60,
            drain_events: 1_000_000,
            relay_channels: 50,
            relay_rate_per_channel: 5,
            relay_seconds: 20,
            relay_burst_per_channel: 60,
            hanging_rate: 100,
            hanging_seconds: 20,
            cpu_warmup: 200,
            cpu_requests: 1_000,
        }
    }

    fn quick() -> Sizes {
        Sizes {
            ingest_seconds: 1,
            ingest_connections: vec![1, 16],
            payload_seconds: 1,
            payload_bytes: vec![1_024, 102_400],
            e2e_rate: 100,
            e2e_seconds: 2,
            drain_events: 2_000,
            relay_channels: 3,
            relay_rate_per_channel: 2,
            relay_seconds: 2,
            relay_burst_per_channel: 35,
            hanging_rate: 20,
            hanging_seconds: 2,
            cpu_warmup: 20,
            cpu_requests: 40,
        }
    }
}

pub struct Options {
    pub gateway: PathBuf,
    pub sizes: Sizes,
    pub only: Option<Vec<String>>,
    pub command: String,
}

impl Options {
    fn wants(&self, scenario: &str) -> bool {
        self.only
            .as_ref()
            .map_or(true, |o| o.iter().any(|s| s == scenario))
    }
}

const USAGE: &str =
    "usage: omnigate-bench [--quick] [--only ingest,payload,e2e,drain,relay,hanging,cpu] \
[--drain-events N] [--gateway <path>]
  --quick          seconds-long smoke run with tiny sizes
  --only LIST      run only these scenarios (comma-separated)
  --drain-events N events to accept while the helpdesk is down (default 1000000)
  --gateway PATH   the omnigate binary to measure (default target/release/omnigate)";

fn parse_args() -> anyhow::Result<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes = Sizes::full();
    let mut only = None;
    let mut gateway = PathBuf::from("target/release/omnigate");
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--quick" => sizes = Sizes::quick(),
            "--only" => {
                i += 1;
                let list = args
                    .get(i)
                    .ok_or_else(|| anyhow::anyhow!("--only needs a list"))?;
                only = Some(list.split(',').map(str::to_string).collect());
            }
            "--drain-events" => {
                i += 1;
                sizes.drain_events = args
                    .get(i)
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--drain-events needs a number"))?;
            }
            "--gateway" => {
                i += 1;
                gateway = args
                    .get(i)
                    .ok_or_else(|| anyhow::anyhow!("--gateway needs a path"))?
                    .into();
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
        i += 1;
    }
    anyhow::ensure!(
        gateway.exists(),
        "no gateway binary at {} (cargo build --release first)",
        gateway.display()
    );
    let command = std::env::var("OMNIGATE_BENCH_COMMAND")
        .unwrap_or_else(|_| format!("omnigate-bench {}", args.join(" ")));
    Ok(Options {
        gateway,
        sizes,
        only,
        command,
    })
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("ceiling") {
        let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(18181);
        return Ok(procs::run_ceiling(port)?);
    }
    let options = parse_args()?;
    procs::Wrk::check()?;
    // The sink and fake provider are actix-web servers, which run inside an actix system.
    actix_web::rt::System::new().block_on(scenarios::run_all(&options))
}

//! The real `omnigate` binary started for a test: one builder holds the environment every
//! spawned gateway needs (data directory, port, admin token, fast retries), waits for
//! `/readyz`, and kills the child when dropped, so a failed assertion leaves no process behind.
//! Shared by the API suite and the store suite (included there with `#[path]`).
#![allow(dead_code)]

use std::ffi::OsString;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

/// The admin token of every gateway a test starts.
pub const ADMIN_TOKEN: &str = "ogt_test-admin-token-0123456789";
/// The master key sealing secrets on the Redis engine (32 bytes, base64).
pub const MASTER_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// A loopback port nothing listens on right now (bound to :0, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Polls `check` until it yields `Some`, or fails after `secs`: the one way a test waits.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves nothing behind.
pub struct OwnedChild(pub Child);

impl OwnedChild {
    /// SIGKILL, and waits until the process is gone.
    pub fn kill_9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for OwnedChild {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// Sends `sig` (a name `kill` knows: TERM, KILL, STOP, CONT) to process `pid`.
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(ok.success(), "kill -{sig} {pid}");
}

pub struct GatewayBuilder {
    data: Option<PathBuf>,
    port: Option<u16>,
    env: Vec<(String, OsString)>,
    logs: Option<PathBuf>,
    wait_ready: bool,
}

/// A running `omnigate serve`; killed (SIGKILL) when dropped.
pub struct GatewayProcess {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    pub data: PathBuf,
    _dir: Option<TempDir>,
}

impl GatewayProcess {
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder {
            data: None,
            port: None,
            env: Vec::new(),
            logs: None,
            wait_ready: true,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .expect("the gateway runs")
    }

    pub fn signal(&self, sig: &str) {
        signal(self.pid(), sig);
    }

    /// SIGKILL, and waits until the process is gone.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("the killed gateway is reaped");
        }
    }

    /// SIGTERM, and waits (off the async runtime) for the graceful exit.
    pub async fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the gateway runs");
        signal(child.id(), "TERM");
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("the waiting task")
            .expect("the gateway exits")
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl GatewayBuilder {
    /// The data directory (kept across restarts); a temporary one when not set.
    pub fn data(mut self, dir: &Path) -> Self {
        self.data = Some(dir.to_path_buf());
        self
    }

    /// The port to listen on (kept across restarts); a free one when not set.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// One more environment variable (set after the defaults, so it overrides them).
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// The delivery retry schedule, e.g. `"0s,200ms"`.
    pub fn retries(self, schedule: &str) -> Self {
        self.env("OMNIGATE__DELIVERY__RETRY_SCHEDULE", schedule)
    }

    /// The redis engine at `url`, under `prefix`.
    pub fn redis(self, url: &str, prefix: &str) -> Self {
        self.env("OMNIGATE__STORE__KIND", "redis")
            .env("OMNIGATE__REDIS__URL", url)
            .env("OMNIGATE__REDIS__KEY_PREFIX", prefix)
            .env("OMNIGATE__SECRETS__MASTER_KEY", MASTER_KEY)
    }

    /// Standard output and error appended to `path` (discarded when not set).
    pub fn logs_to(mut self, path: &Path) -> Self {
        self.logs = Some(path.to_path_buf());
        self
    }

    /// Returns as soon as the process runs, without waiting for `/readyz` to answer 200.
    pub fn unready(mut self) -> Self {
        self.wait_ready = false;
        self
    }

    pub async fn spawn(self) -> GatewayProcess {
        let (data, dir) = match self.data {
            Some(d) => (d, None),
            None => {
                let dir = tempfile::tempdir().expect("a temporary data directory");
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        let port = self.port.unwrap_or_else(free_port);
        let (stdout, stderr) = match &self.logs {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("the log file opens");
                let copy = file.try_clone().expect("the log file is shared");
                (Stdio::from(file), Stdio::from(copy))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_omnigate"));
        cmd.arg("serve")
            // The caller's environment does not leak in: only what the test sets applies.
            .env_remove("RUST_LOG")
            .env("OMNIGATE__STORE__PATH", &data)
            .env("OMNIGATE__SERVER__PORT", port.to_string())
            .env("OMNIGATE__ADMIN__TOKEN", ADMIN_TOKEN)
            // The fakes listen on loopback.
            .env("OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS", "true")
            .env("OMNIGATE__DELIVERY__JITTER", "0")
            .env("OMNIGATE__LOG__LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the binary starts");
        let gw = GatewayProcess {
            child: Some(child),
            port,
            base: format!("http://127.0.0.1:{port}"),
            data,
            _dir: dir,
        };
        if self.wait_ready {
            gw.ready().await;
        }
        gw
    }
}

impl GatewayProcess {
    /// Waits until `/readyz` answers 200 (at most 20 s).
    pub async fn ready(&self) {
        let url = format!("{}/readyz", self.base);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the gateway at {} never became ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

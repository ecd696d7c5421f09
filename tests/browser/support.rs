//! The real browser behind the browser tests: Debian's chromium driven through chromedriver
//! (WebDriver, via `fantoccini`).
//!
//! - Installs `chromium` and `chromium-driver` with apt when they are missing (once, under a
//!   lock file, so `cargo test --workspace` sets up a fresh machine), or fails saying how to.
//! - One chromedriver per test binary, shared by the tests that run at the same time and
//!   stopped (with every chromium it started) when the last of them ends. It runs in a process
//!   group of its own, and stopping it signals that group.
//! - Every [`Browser`] is a new headless session with a fresh profile directory. At most
//!   [`MAX_SESSIONS`] run at once: a browser is heavy on a small machine.
//! - [`Browser::screenshot`] keeps a PNG under `target/browser-artifacts/` (not in git).
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::process::{eventually, free_port};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Browser sessions that may run at once in one test binary.
pub const MAX_SESSIONS: usize = 2;

/// Chromium's flags. Without the background-networking ones chromium keeps calling out to
/// update, sync and field-trial services the closed network does not have.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

const INSTALL_LOCK: &str = "/tmp/omnigate-browser-install.lock";
const HOW_TO_INSTALL: &str = "the browser tests need Debian's chromium and chromedriver: \
     run `apt-get install -y chromium chromium-driver` (as root), then the tests again";

/// Where screenshots and other browser artifacts are kept: `target/browser-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("browser-artifacts")
}

/// Installs chromium and chromedriver when missing: once per test binary, and under a lock
/// file so that test binaries running side by side do not run apt at the same time.
fn ensure_installed() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = INSTALLED.get_or_init(|| {
        let present = || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
        if present() {
            return Ok(());
        }
        let script = format!(
            "test -x {CHROMIUM} && test -x {CHROMEDRIVER} && exit 0; \
             export DEBIAN_FRONTEND=noninteractive; \
             apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
             || {{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }}"
        );
        let ran = Command::new("flock")
            .arg(INSTALL_LOCK)
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .status();
        match ran {
            Ok(_) if present() => Ok(()),
            Ok(status) => Err(format!("installing them failed ({status}); {HOW_TO_INSTALL}")),
            Err(e) => Err(format!("could not run apt-get under flock ({e}); {HOW_TO_INSTALL}")),
        }
    });
    if let Err(why) = outcome {
        panic!("{why}");
    }
}

/// A running chromedriver; stopped, with the browsers it started, when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// The chromedriver the running tests share, started when none runs.
    async fn shared() -> Arc<Driver> {
        static SHARED: Mutex<Weak<Driver>> = Mutex::new(Weak::new());
        let driver = {
            let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
            match slot.upgrade() {
                Some(driver) => driver,
                None => {
                    ensure_installed();
                    let driver = Arc::new(Driver::start());
                    *slot = Arc::downgrade(&driver);
                    driver
                }
            }
        };
        // Also when another test started it a moment ago.
        driver.ready().await;
        driver
    }

    fn start() -> Driver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: stopping the group stops the chromiums it started too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start ({e}); {HOW_TO_INSTALL}"));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn ready(&self) {
        let status = format!("{}/status", self.url);
        eventually(20, "chromedriver to answer /status", || async {
            let answer = reqwest::get(&status).await.ok()?;
            let body: Value = answer.json().await.ok()?;
            body["value"]["ready"].as_bool().filter(|r| *r)
        })
        .await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every chromium (and helper process) it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    }
}

/// One headless chromium session with a profile of its own.
pub struct Browser {
    pub client: Client,
    _profile: TempDir,
    _driver: Arc<Driver>,
    _permit: OwnedSemaphorePermit,
}

impl Browser {
    /// A new session: waits for a free slot, starts chromedriver when none runs.
    pub async fn start() -> Browser {
        static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
        let slots = SLOTS.get_or_init(|| Arc::new(Semaphore::new(MAX_SESSIONS)));
        let permit = Arc::clone(slots)
            .acquire_owned()
            .await
            .expect("the session slots stay open");
        let driver = Driver::shared().await;
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("chromium does not start under chromedriver: {e}"));
        Browser {
            client,
            _profile: profile,
            _driver: driver,
            _permit: permit,
        }
    }

    /// Opens `url` and waits for the page's load event.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page opens");
    }

    /// Runs `script` (a function body; `return` gives its value) in the page.
    pub async fn run(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("the page runs `{script}`: {e}"))
    }

    /// Polls the page with `script` until it returns something other than `null`, `undefined`
    /// or `false`, and gives that value; fails after `secs`.
    pub async fn until(&self, secs: u64, what: &str, script: &str) -> Value {
        eventually(secs, what, || async {
            let value = self.run(script).await;
            (!matches!(value, Value::Null | Value::Bool(false))).then_some(value)
        })
        .await
    }

    /// The page's HTML as the browser holds it now (after its scripts ran).
    pub async fn html(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Saves a PNG of the viewport as `target/browser-artifacts/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).expect("the artifacts directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Ends the session (chromedriver stops its chromium).
    pub async fn close(self) {
        let Browser { client, .. } = self;
        client.close().await.expect("the session ends");
    }
}

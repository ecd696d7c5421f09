//! The benchmark command at tiny sizes, so it keeps working: every scenario runs against the
//! gateway binary built for the workspace's tests, and what it reports adds up. Timings are not
//! asserted (a benchmark is not a test).

use std::path::Path;
use std::process::Command;

/// The scenarios drive wrk and count instructions with valgrind (Debian's packages).
/// `cargo test --workspace` sets up a fresh machine: a missing one is installed, or the test says
/// how.
fn ensure(program: &str) {
    let present = || {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
    };
    if present() {
        return;
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let _ = apt(&["install", "-y", "-qq", program])
        || (apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", program]));
    assert!(
        present(),
        "{program} is needed and could not be installed: apt-get install {program}"
    );
}

#[test]
fn every_scenario_runs_and_every_event_and_reply_arrives() {
    ensure("wrk");
    ensure("valgrind");
    let bench = env!("CARGO_BIN_EXE_omnigate-bench");
    let gateway = Path::new(bench).with_file_name("omnigate");
    assert!(
        gateway.exists(),
        "{} is missing: run `cargo test --workspace` (or `cargo build -p omnigate`) first",
        gateway.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(bench)
        .arg("--quick")
        .arg("--gateway")
        .arg(&gateway)
        .current_dir(&root)
        .output()
        .expect("the benchmark starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for section in [
        "## 1. Ingest",
        "## 6. Payload size",
        "## 2. End to end",
        "## 3. Backlog drain",
        "## 4. Relay",
        "## 7. A healthy destination behind 4 that hang",
        "## 8. Instructions per webhook and per delivery (callgrind)",
        "## Memory",
    ] {
        assert!(stdout.contains(section), "{section} missing:\n{stdout}");
    }
    // Nothing refused, everything delivered, every signature verified by the sink.
    assert!(stdout.contains("answered non-2xx: 0,"), "{stdout}");
    assert!(stdout.contains("all 200 delivered: true"), "{stdout}");
    assert!(
        !stdout.contains("signatures failing verification: 1"),
        "{stdout}"
    );
    let row = |name: &str| -> u64 {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .and_then(|l| l.trim_end_matches(" |").rsplit("| ").next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} row:\n{stdout}"))
    };
    // Every stored event arrived (each counted once: a redelivery of the same webhook-id is
    // at-least-once delivery, reported in its own row, not a lost or extra event).
    let stored = row("events stored while down");
    assert!(stored >= 2_000, "{stdout}");
    assert_eq!(row("delivered after it came back"), stored, "{stdout}");
    assert_eq!(row("signatures failing verification"), 0, "{stdout}");
    // Hanging destinations: the healthy one received all 40 events in each run.
    for label in [
        "none (baseline)",
        "4, default share (8 of 64 workers each)",
        "4, no share (`per_destination_concurrency = 64`)",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no {label} row:\n{stdout}"));
        assert!(line.contains(" | 40 | 0 | 40 | "), "{line}");
    }
    // Instructions (callgrind): storing a webhook costs more than reading it, and delivering
    // it costs more again.
    let count = |label: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no {label} row:\n{stdout}"));
        line.split('|')
            .nth(2)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no count in {line}"))
    };
    let bare = count("bare server (baseline)");
    let stored = count("omnigate, webhook stored (no destination)");
    let delivered = count("omnigate, webhook stored and delivered to one destination");
    assert!(0 < bare && bare < stored && stored < delivered, "{stdout}");
    // Relay: every reply reached the fake send API, within Naver's limit per channel.
    assert!(stdout.contains("105 accepted, all sent: true"), "{stdout}");
    let busiest: u32 = stdout
        .split("most calls to one channel in any 3 s: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no rate figure:\n{stdout}"));
    assert!(busiest < 30, "{stdout}");
}

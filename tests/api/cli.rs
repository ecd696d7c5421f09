//! The operator CLI against a running gateway: tables, JSON, and exit codes that mean something.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

fn command(base: &str, token: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omnigate"));
    cmd.args(args)
        .env("OMNIGATE_URL", base)
        .env_remove("OMNIGATE_TOKEN");
    if let Some(t) = token {
        cmd.env("OMNIGATE_TOKEN", t);
    }
    cmd
}

/// Runs the CLI off the async runtime (the gateway under test runs on it).
async fn cli(app: &TestApp, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = command(&app.base, token, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn an_operator_sets_up_a_naver_channel_and_a_destination_with_the_cli() {
    let app = spawn_app().await;
    let key = format!("send_api_key={SEND_API_KEY}");
    let added = cli(
        &app,
        Some(TOKEN),
        &[
            "--json",
            "channels",
            "add",
            "--provider",
            "naver_talktalk",
            "--name",
            "Shop",
            "--credential",
            "account_id=wc8b1i",
            "--credential",
            &key,
        ],
    )
    .await;
    assert_eq!(
        added.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(!stdout(&added).contains(SEND_API_KEY), "the key is masked");
    let ch: Value = serde_json::from_str(&stdout(&added)).unwrap();
    let id = ch["id"].as_str().unwrap().to_string();

    let approval = cli(&app, Some(TOKEN), &["channels", "request-approval", &id]).await;
    assert_eq!(approval.status.code(), Some(0));
    let text = stdout(&approval);
    assert!(
        text.contains("chat_url: https://talk.naver.com/wc8b1i"),
        "{text}"
    );
    let hook = text
        .lines()
        .find_map(|l| l.strip_prefix("webhook_url: "))
        .unwrap()
        .to_string();
    assert_eq!(
        cli(&app, Some(TOKEN), &["channels", "approve", &id])
            .await
            .status
            .code(),
        Some(0)
    );
    let table = stdout(&cli(&app, Some(TOKEN), &["channels", "list"]).await);
    assert!(table.lines().next().unwrap().starts_with("ID"), "{table}");
    assert!(table.contains(&id) && table.contains("approved"));

    let dest = cli(
        &app,
        Some(TOKEN),
        &[
            "destinations",
            "add",
            "https://helpdesk.example.com/in",
            "--event-type",
            "message.*",
        ],
    )
    .await;
    assert_eq!(
        dest.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dest.stderr)
    );
    assert!(stdout(&dest).contains("signing secret (shown once): whsec_"));
    let dead = cli(
        &app,
        Some(TOKEN),
        &["deliveries", "list", "--status", "dead"],
    )
    .await;
    assert_eq!(
        dead.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dead.stderr)
    );
    assert!(stdout(&dead).starts_with("ID"));

    // `events tail` follows what arrives after it starts.
    post_hook(&hook, naver_text("u1", "before the tail")).await;
    let mut tail = command(
        &app.base,
        Some(TOKEN),
        &[
            "events",
            "tail",
            "--type",
            "message.received",
            "--count",
            "1",
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    post_hook(&hook, naver_text("u1", "after the tail started")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tail.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = tail.kill();
            panic!("events tail did not print the new event");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = tokio::task::spawn_blocking(move || tail.wait_with_output().unwrap())
        .await
        .unwrap();
    let printed = stdout(&out);
    assert!(printed.contains("after the tail started"), "{printed}");
    assert!(!printed.contains("before the tail"), "{printed}");
}

#[tokio::test]
async fn exit_codes_tell_refused_from_unreachable_from_misused() {
    let app = spawn_app().await;
    let refused = cli(&app, Some("ogt_wrong"), &["channels", "list"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401 unauthorized"));
    assert_eq!(
        cli(&app, Some(TOKEN), &["channels", "show", "chn_nope"])
            .await
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        cli(&app, None, &["channels", "list"]).await.status.code(),
        Some(2)
    );
    let down = TestApp::process(1, &app.data);
    assert_eq!(
        cli(&down, Some(TOKEN), &["channels", "list"])
            .await
            .status
            .code(),
        Some(3)
    );
    let usage = cli(&app, Some(TOKEN), &["channels", "add", "--provider", "x"]).await;
    assert_eq!(usage.status.code(), Some(2), "usage errors exit 2");
}

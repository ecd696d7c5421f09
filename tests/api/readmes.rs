//! Every connector README's commands run as written: the shell blocks marked ```` ```sh
//! runnable ```` of each README run in order, in the quick start's shell (`OMNIGATE_URL`,
//! `OMNIGATE_TOKEN`, `omnigate`, `field`), against a gateway, from the checkout's root. They
//! register the provider's channel and post one of its own fixtures, signed as the provider
//! signs it; the channel must then hold the mapped event.

use std::path::Path;
use std::process::Command;

use crate::helpers::*;

/// The quick start's shell: the helpers its README defines, with the binary under test.
const PRELUDE: &str = r#"set -euo pipefail
omnigate() { "$OMNIGATE_BIN" "$@"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
"#;

/// The text of each ```` ```sh runnable ```` block of `markdown`, in order.
fn runnable_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_end() == "```sh runnable" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

#[tokio::test]
async fn every_connector_readme_runs_as_written_and_its_try_it_lands_an_event() {
    let app = spawn_app().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut readmes: Vec<_> = std::fs::read_dir(root.join("connectors"))
        .unwrap()
        .map(|e| e.unwrap().path().join("README.md"))
        .filter(|p| p.exists())
        .collect();
    readmes.sort();
    assert_eq!(readmes.len(), 12, "{readmes:?}");
    for readme in readmes {
        let markdown = std::fs::read_to_string(&readme).unwrap();
        let blocks = runnable_blocks(&markdown);
        assert_eq!(blocks.len(), 2, "{}: set-up and try-it", readme.display());
        let stdout = run(&app, &readme, &blocks).await;
        // The try-it's last command lists the mapped event: a header and one row at least.
        let listed = stdout
            .lines()
            .skip_while(|l| !l.starts_with("TIME"))
            .count();
        assert!(
            listed > 1,
            "{}: no event listed:\n{stdout}",
            readme.display()
        );
        // And what the gateway stored is a mapped event, not an unrecognized one.
        let crate_dir = readme.parent().unwrap().file_name().unwrap();
        let provider = crate_dir.to_string_lossy().replace('-', "_");
        let (_, channels) = app.get("/v1/channels").await;
        let channel = channels["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["provider"] == provider.as_str())
            .unwrap_or_else(|| panic!("{provider}: no channel"));
        let (_, events) = app
            .get(&format!(
                "/v1/events?channel={}",
                channel["id"].as_str().unwrap()
            ))
            .await;
        let types: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["type"].as_str())
            .filter(|t| *t != "channel.state_changed")
            .collect();
        assert!(
            !types.is_empty() && !types.contains(&"provider.unrecognized"),
            "{provider}: {types:?}"
        );
    }
}

/// Runs `blocks` in the quick start's shell against `app`; its stdout.
async fn run(app: &TestApp, what: &Path, blocks: &[String]) -> String {
    let script = format!("{PRELUDE}{}", blocks.concat());
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("OMNIGATE_URL", &app.base)
        .env("OMNIGATE_TOKEN", TOKEN)
        .env("OMNIGATE_BIN", env!("CARGO_BIN_EXE_omnigate"));
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}:\n{stdout}\n{}",
        what.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The main README's API walk-through captures every id it uses and runs as written.
#[tokio::test]
async fn the_readme_curl_walk_through_runs_as_written() {
    let app = spawn_app().await;
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let blocks = runnable_blocks(&std::fs::read_to_string(&readme).unwrap());
    assert_eq!(blocks.len(), 1);
    let stdout = run(&app, &readme, &blocks).await;
    assert!(
        stdout.contains("\"text\":\"hello world\""),
        "the event is listed: {stdout}"
    );
    assert!(
        stdout.contains("\"queued\":1,"),
        "the replay queued the message: {stdout}"
    );
}

#[test]
fn runnable_blocks_are_found_in_order_and_other_blocks_are_not() {
    let md = "x\n```sh runnable\na\nb\n```\n```sh\nno\n```\n```sh runnable\nc\n```\n";
    assert_eq!(runnable_blocks(md), ["a\nb\n", "c\n"]);
}

//! The operator CLI against a running gateway: tables, JSON, and exit codes that mean something.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::process::OwnedChild;

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

/// The lines a child writes to `out`, as they come.
fn lines_of(out: std::process::ChildStdout) -> Arc<Mutex<Receiver<String>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    Arc::new(Mutex::new(rx))
}

/// The next line from [`lines_of`], waited for at most 10 s.
async fn next_line(lines: &Arc<Mutex<Receiver<String>>>, what: &str) -> String {
    let lines = lines.clone();
    tokio::task::spawn_blocking(move || {
        lines
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(10))
            .ok()
    })
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("timed out waiting for {what}"))
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
    let mut tail = OwnedChild(
        command(
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
        .unwrap(),
    );
    let lines = lines_of(tail.0.stdout.take().unwrap());
    // The header comes once the tail has found where the stored events end.
    let header = next_line(&lines, "the tail's header").await;
    post_hook(&hook, naver_text("u1", "after the tail started")).await;
    let printed = next_line(&lines, "the new event").await;
    let status = tokio::task::spawn_blocking(move || tail.0.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "the tail exits after --count events");
    let printed = format!("{header}\n{printed}");
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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn an_operator_recovers_dead_letters_and_replays_with_the_cli() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let app = spawn_app().await;
    let (_, hook) = app.approved_naver_channel().await;
    let helpdesk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&helpdesk)
        .await;
    let added = cli(
        &app,
        Some(TOKEN),
        &["--json", "destinations", "add", &helpdesk.uri()],
    )
    .await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let dest: Value = serde_json::from_str(&stdout(&added)).unwrap();
    let dest_id = dest["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    post_hook(&hook, naver_text("u1", "lost and found")).await;

    let dead = eventually(15, "a dead letter", || async {
        let out = cli(
            &app,
            Some(TOKEN),
            &["--json", "deliveries", "list", "--status", "dead"],
        )
        .await;
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["items"][0]["id"].as_str().map(str::to_string)
    })
    .await;
    let table = stdout(
        &cli(
            &app,
            Some(TOKEN),
            &["deliveries", "list", "--status", "dead"],
        )
        .await,
    );
    assert!(
        table.contains(&dead) && table.contains("http_500"),
        "{table}"
    );

    // The helpdesk is fixed; the dead letter is retried and delivered.
    helpdesk.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&helpdesk)
        .await;
    let retried = cli(&app, Some(TOKEN), &["deliveries", "retry", &dead]).await;
    assert_eq!(retried.status.code(), Some(0), "{}", stderr(&retried));
    eventually(15, "the retried delivery", || async {
        let (_, d) = app.get(&format!("/v1/deliveries/{dead}")).await;
        (d["status"] == "delivered").then_some(())
    })
    .await;
    assert_eq!(
        cli(&app, Some(TOKEN), &["deliveries", "retry", "dlv_nope"])
            .await
            .status
            .code(),
        Some(1)
    );

    let replayed = cli(&app, Some(TOKEN), &["replay", &dest_id, "--since", &since]).await;
    assert_eq!(replayed.status.code(), Some(0), "{}", stderr(&replayed));
    assert!(
        stdout(&replayed).starts_with(&format!("queued 1 events for {dest_id}")),
        "{}",
        stdout(&replayed)
    );
    let bad_range = cli(
        &app,
        Some(TOKEN),
        &["replay", &dest_id, "--since", "yesterday"],
    )
    .await;
    assert_eq!(bad_range.status.code(), Some(1));
    assert!(
        stderr(&bad_range).contains("422 invalid_time_range"),
        "{}",
        stderr(&bad_range)
    );

    let disabled = cli(&app, Some(TOKEN), &["destinations", "disable", &dest_id]).await;
    assert_eq!(disabled.status.code(), Some(0), "{}", stderr(&disabled));
    let list = cli(&app, Some(TOKEN), &["--json", "destinations", "list"]).await;
    let list: Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(list["items"][0]["enabled"], false);
}

#[tokio::test]
async fn the_cli_registers_a_chatwoot_inbox_and_walks_channels_through_every_state() {
    let app = spawn_app().await;
    let secret_token = "cw_user_token_do_not_print";
    let mut add = command(
        &app.base,
        Some(TOKEN),
        &[
            "destinations",
            "add",
            "--kind",
            "chatwoot",
            "--base-url",
            "https://chatwoot.example.com",
            "--account-id",
            "3",
            "--inbox-id",
            "7",
            "--allow-unsigned-callbacks",
        ],
    );
    add.env("CHATWOOT_API_ACCESS_TOKEN", secret_token);
    let out = tokio::task::spawn_blocking(move || add.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("chatwoot"), "{text}");
    assert!(
        text.contains("callback_url (the inbox's webhook URL): http://"),
        "{text}"
    );
    assert!(!text.contains(secret_token), "the token is masked: {text}");
    let callback = text
        .lines()
        .find_map(|l| l.strip_prefix("callback_url (the inbox's webhook URL): "))
        .unwrap()
        .to_string();
    let list = ok(&app, &["destinations", "list"]).await;
    let dest_id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let rotated = ok(&app, &["destinations", "rotate-callback-secret", &dest_id]).await;
    let new_callback = rotated
        .trim()
        .strip_prefix("callback_url (paste it into the inbox now): ")
        .unwrap();
    assert_ne!(new_callback, callback);
    assert!(new_callback.contains(&dest_id), "{new_callback}");

    let incomplete = cli(
        &app,
        Some(TOKEN),
        &[
            "destinations",
            "add",
            "--kind",
            "chatwoot",
            "--base-url",
            "https://chatwoot.example.com",
        ],
    )
    .await;
    assert_eq!(incomplete.status.code(), Some(1));
    assert!(
        stderr(&incomplete).contains("422 invalid_"),
        "{}",
        stderr(&incomplete)
    );
    let no_url = cli(&app, Some(TOKEN), &["destinations", "add"]).await;
    assert_eq!(
        no_url.status.code(),
        Some(2),
        "a webhook destination needs its URL"
    );

    // unverified -> pending -> rejected -> pending -> approved -> revoked
    let added = cli(
        &app,
        Some(TOKEN),
        &[
            "--json",
            "channels",
            "add",
            "--provider",
            "chatlio",
            "--name",
            "Site chat",
        ],
    )
    .await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let id = serde_json::from_str::<Value>(&stdout(&added)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approval = cli(&app, Some(TOKEN), &["channels", "request-approval", &id]).await;
    assert!(
        stdout(&approval).contains("webhook_url[transcript]: http://"),
        "{}",
        stdout(&approval)
    );
    let no_reason = cli(&app, Some(TOKEN), &["channels", "reject", &id]).await;
    assert_eq!(no_reason.status.code(), Some(2), "--reason is required");
    let rejected = cli(
        &app,
        Some(TOKEN),
        &["channels", "reject", &id, "--reason", "not ours"],
    )
    .await;
    assert!(
        stdout(&rejected).contains("rejected"),
        "{}",
        stdout(&rejected)
    );
    let revoke_rejected = cli(&app, Some(TOKEN), &["channels", "revoke", &id]).await;
    assert_eq!(revoke_rejected.status.code(), Some(1));
    assert!(stderr(&revoke_rejected).contains("409 invalid_transition"));
    cli(&app, Some(TOKEN), &["channels", "request-approval", &id]).await;
    let approved = cli(&app, Some(TOKEN), &["channels", "approve", &id]).await;
    assert!(stdout(&approved).contains("approved"));
    let revoked = cli(
        &app,
        Some(TOKEN),
        &["channels", "revoke", &id, "--reason", "closed"],
    )
    .await;
    assert_eq!(revoked.status.code(), Some(0), "{}", stderr(&revoked));
    let shown = cli(&app, Some(TOKEN), &["--json", "channels", "show", &id]).await;
    let shown: Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert_eq!(shown["state"], "revoked");
    assert_eq!(shown["state_reason"], "closed");
}

/// `omnigate ARGS` that must succeed; its stdout.
async fn ok(app: &TestApp, args: &[&str]) -> String {
    let out = cli(app, Some(TOKEN), args).await;
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// `omnigate --json ARGS` that must succeed; its JSON.
async fn ok_json(app: &TestApp, args: &[&str]) -> Value {
    let args: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    let text = ok(app, &args).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

#[tokio::test]
async fn channels_show_prints_the_brand_key_chat_url_masked_credentials_and_every_webhook_url() {
    let app = spawn_app().await;
    let (naver, hook) = app.approved_naver_channel().await;
    let shown = ok(&app, &["channels", "show", &naver]).await;
    let brand_key = app.get(&format!("/v1/channels/{naver}")).await.1["brand_key"]
        .as_str()
        .unwrap()
        .to_string();
    for line in [
        format!("id: {naver}"),
        "state: approved".to_string(),
        format!("brand_key: {brand_key}"),
        "chat_url: https://talk.naver.com/wc8b1i".to_string(),
        "credential account_id: wc8b1i".to_string(),
        "credential send_api_key: ****zdNL".to_string(),
        format!("webhook_url: {hook}"),
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in:\n{shown}");
    }
    assert!(!shown.contains(SEND_API_KEY));
    let json = ok_json(&app, &["channels", "show", &naver]).await;
    assert_eq!(json["brand_key"], brand_key.as_str());

    // Chatlio has one URL per webhook: the list shows them all, `show` one line each.
    let chatlio = app
        .approved_channel("chatlio", serde_json::json!({}), Value::Null)
        .await;
    let urls = chatlio.approval["webhook_urls"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(urls.len(), 5);
    let list = ok(&app, &["channels", "list"]).await;
    let row = list.lines().find(|l| l.contains(&chatlio.id)).unwrap();
    let transcript = urls["transcript"].as_str().unwrap();
    let base = transcript.strip_suffix("/transcript").unwrap();
    assert!(
        row.ends_with(&format!(
            "{base}/{{feedback,new-conversation,offline-message,transcript,unanswered}}"
        )),
        "{row}"
    );
    let shown = ok(&app, &["channels", "show", &chatlio.id]).await;
    for (topic, url) in &urls {
        let line = format!("webhook_url[{topic}]: {}", url.as_str().unwrap());
        assert!(shown.lines().any(|l| l == line), "{line:?} in:\n{shown}");
    }
}

#[tokio::test]
async fn every_admin_operation_has_a_command_with_json() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let endpoint = format!("{}/in", helpdesk.uri());
    // `--url` belongs to the destination; the gateway is `--gateway` (or OMNIGATE_URL).
    let mut cmd = command("http://127.0.0.1:1", Some(TOKEN), &[]);
    cmd.args([
        "--json",
        "--gateway",
        &app.base,
        "destinations",
        "add",
        "--url",
        &endpoint,
        "--event-type",
        "message.*",
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dest: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(dest["url"], endpoint.as_str());
    let dest_id = dest["id"].as_str().unwrap().to_string();

    let shown = ok_json(&app, &["destinations", "show", &dest_id]).await;
    assert_eq!(shown["event_types"], serde_json::json!(["message.*"]));
    let updated = ok_json(
        &app,
        &[
            "destinations",
            "update",
            &dest_id,
            "--event-type",
            "*",
            "--include-raw",
            "true",
        ],
    )
    .await;
    assert_eq!(
        (
            updated["event_types"].clone(),
            updated["include_raw"].clone()
        ),
        (serde_json::json!(["*"]), Value::Bool(true))
    );

    // An event arrives and is delivered: its delivery, the event, then a reply to it.
    let (channel, hook) = app.approved_naver_channel().await;
    assert_eq!(post_hook(&hook, naver_text("u1", "hi")).await.status(), 200);
    let delivery = eventually(15, "a delivered delivery", || async {
        let v = ok_json(&app, &["deliveries", "list", "--destination", &dest_id]).await;
        let d = v["items"][0].clone();
        (d["status"] == "delivered").then_some(d)
    })
    .await;
    let shown = ok_json(
        &app,
        &["deliveries", "show", delivery["id"].as_str().unwrap()],
    )
    .await;
    assert_eq!(shown["status"], "delivered");
    let table = ok(
        &app,
        &["deliveries", "show", delivery["id"].as_str().unwrap()],
    )
    .await;
    assert!(table.contains("delivered"), "{table}");

    let events = ok_json(
        &app,
        &[
            "events",
            "list",
            "--channel",
            &channel,
            "--type",
            "message.received",
        ],
    )
    .await;
    let event = &events["items"][0];
    assert_eq!(event["data"]["message"]["content"]["text"], "hi");
    let event_id = event["data"]["event_id"].as_str().unwrap();
    let conversation = event["data"]["conversation"]["id"].as_str().unwrap();
    let shown = ok_json(&app, &["events", "show", event_id]).await;
    assert_eq!(shown["data"]["event_id"], event_id);

    let reply = ok_json(
        &app,
        &[
            "reply",
            conversation,
            "Your order ships today.",
            "--idempotency-key",
            "k-1",
        ],
    )
    .await;
    assert_eq!(reply["content"]["text"], "Your order ships today.");
    let message_id = reply["id"].as_str().unwrap();
    let again = ok_json(
        &app,
        &[
            "reply",
            conversation,
            "Your order ships today.",
            "--idempotency-key",
            "k-1",
        ],
    )
    .await;
    assert_eq!(again["id"], message_id, "the same key never sends twice");
    let message = ok_json(&app, &["messages", "show", message_id]).await;
    assert_eq!(message["conversation_id"], conversation);

    // Tokens: created once with its value, listed without it, deleted.
    let token = ok_json(&app, &["tokens", "create", "--label", "Acme helpdesk"]).await;
    assert_eq!(token["role"], "helpdesk");
    let value = token["token"].as_str().unwrap();
    assert!(value.starts_with("ogt_"), "{token}");
    let listed = ok(&app, &["tokens", "list"]).await;
    assert!(
        listed.contains("Acme helpdesk") && !listed.contains(value),
        "{listed}"
    );
    let token_id = token["id"].as_str().unwrap();
    assert_eq!(
        ok(&app, &["tokens", "delete", token_id]).await.trim(),
        format!("deleted {token_id}")
    );
    let listed = ok_json(&app, &["tokens", "list"]).await;
    assert!(!listed.to_string().contains(token_id), "{listed}");

    let providers = ok(&app, &["providers"]).await;
    let naver = providers
        .lines()
        .find(|l| l.starts_with("naver_talktalk"))
        .unwrap();
    assert!(naver.contains("account_id,send_api_key(secret)"), "{naver}");

    let history = ok_json(&app, &["channels", "history", &channel]).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2, "{history}");
    let rotated = ok(
        &app,
        &["channels", "rotate-key", &channel, "--grace-seconds", "0"],
    )
    .await;
    let new_hook = rotated
        .lines()
        .find_map(|l| l.strip_prefix("webhook_url: "))
        .unwrap();
    assert_ne!(new_hook, hook);
    assert!(
        rotated.contains("previous URL(s) valid until: now"),
        "{rotated}"
    );
    let renamed = ok_json(
        &app,
        &["channels", "update", &channel, "--name", "Boutique"],
    )
    .await;
    assert_eq!(renamed["name"], "Boutique");

    // Deleting: an approved channel is revoked first; then it and the destination are gone.
    let revoked = ok_json(
        &app,
        &["channels", "revoke", &channel, "--reason", "closing"],
    )
    .await;
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(
        ok(&app, &["channels", "delete", &channel]).await.trim(),
        format!("deleted {channel}")
    );
    assert_eq!(post_hook(&hook, naver_text("u1", "hi")).await.status(), 404);
    assert_eq!(
        ok_json(&app, &["destinations", "delete", &dest_id]).await,
        serde_json::json!({})
    );
    let gone = cli(&app, Some(TOKEN), &["destinations", "show", &dest_id]).await;
    assert_eq!(gone.status.code(), Some(1));
    assert!(stderr(&gone).contains("404 not_found"), "{}", stderr(&gone));
}

/// A disabled destination receives nothing; enabling it says what arrived meanwhile and how to
/// send it, and that replay delivers it.
#[tokio::test]
async fn enabling_a_destination_offers_the_replay_of_what_arrived_while_it_was_disabled() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (dest, secret) = app
        .destination(
            &helpdesk.uri(),
            serde_json::json!({"event_types": ["message.*"]}),
        )
        .await;
    let (_, hook) = app.approved_naver_channel().await;
    let disabled = ok_json(&app, &["destinations", "disable", &dest]).await;
    let since = disabled["disabled_at"].as_str().unwrap().to_string();
    assert_eq!(disabled["enabled"], false);
    for text in ["one", "two"] {
        assert_eq!(post_hook(&hook, naver_text("u1", text)).await.status(), 200);
    }
    eventually(15, "both events stored", || async {
        let (_, events) = app.get("/v1/events?type=message.received").await;
        (events["items"].as_array().unwrap().len() == 2).then_some(())
    })
    .await;
    assert!(
        app.deliveries(&format!("destination={dest}"))
            .await
            .is_empty(),
        "nothing is queued for a disabled destination"
    );

    let enabled = ok(&app, &["destinations", "enable", &dest]).await;
    let (_, shown) = app.get(&format!("/v1/destinations/{dest}")).await;
    assert_eq!(shown["disabled_at"], Value::Null);
    let hint = enabled
        .lines()
        .skip_while(|l| !l.starts_with("2 events arrived while it was disabled"))
        .collect::<Vec<_>>();
    assert_eq!(hint.len(), 2, "{enabled}");
    assert_eq!(
        hint[0],
        format!("2 events arrived while it was disabled (since {since}); send them with:")
    );
    let replay: Vec<&str> = hint[1].split_whitespace().collect();
    assert_eq!(
        replay[..5],
        [
            "omnigate",
            "replay",
            dest.as_str(),
            "--since",
            since.as_str()
        ]
    );
    assert_eq!(replay[5], "--until");

    // The same offer in the API's answer, and the replay it names delivers both.
    let (status, again) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{dest}"),
            Some(serde_json::json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        again.get("missed_while_disabled").is_none(),
        "already enabled: {again}"
    );
    let replayed = ok(&app, &replay[1..]).await;
    assert!(
        replayed.starts_with(&format!("queued 2 events for {dest}")),
        "{replayed}"
    );
    let got = wait_received(&helpdesk, &secret, 2).await;
    let texts: Vec<&str> = got
        .iter()
        .map(|e| e["data"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two"]);
}

/// The command for each admin API operation. A route added without a command fails here.
const COMMANDS: &[(&str, &str, &str)] = &[
    ("GET", "/v1/channels", "channels list"),
    ("POST", "/v1/channels", "channels add"),
    ("GET", "/v1/channels/{id}", "channels show"),
    ("PATCH", "/v1/channels/{id}", "channels update"),
    ("DELETE", "/v1/channels/{id}", "channels delete"),
    (
        "POST",
        "/v1/channels/{id}/approval-request",
        "channels request-approval",
    ),
    ("POST", "/v1/channels/{id}/approve", "channels approve"),
    ("POST", "/v1/channels/{id}/reject", "channels reject"),
    ("POST", "/v1/channels/{id}/revoke", "channels revoke"),
    (
        "POST",
        "/v1/channels/{id}/rotate-key",
        "channels rotate-key",
    ),
    ("GET", "/v1/channels/{id}/history", "channels history"),
    ("GET", "/v1/destinations", "destinations list"),
    ("POST", "/v1/destinations", "destinations add"),
    ("GET", "/v1/destinations/{id}", "destinations show"),
    ("PATCH", "/v1/destinations/{id}", "destinations update"),
    ("DELETE", "/v1/destinations/{id}", "destinations delete"),
    ("POST", "/v1/destinations/{id}/replay", "replay"),
    ("POST", "/v1/destinations/{id}/test", "destinations test"),
    (
        "POST",
        "/v1/destinations/{id}/rotate-callback-secret",
        "destinations rotate-callback-secret",
    ),
    ("GET", "/v1/events", "events list"),
    ("GET", "/v1/events/{id}", "events show"),
    ("GET", "/v1/events/stream", "events tail"),
    ("GET", "/v1/deliveries", "deliveries list"),
    ("GET", "/v1/deliveries/{id}", "deliveries show"),
    ("POST", "/v1/deliveries/{id}/retry", "deliveries retry"),
    ("POST", "/v1/tokens", "tokens create"),
    ("GET", "/v1/tokens", "tokens list"),
    ("DELETE", "/v1/tokens/{id}", "tokens delete"),
    ("POST", "/v1/conversations/{id}/messages", "reply"),
    ("GET", "/v1/messages/{id}", "messages show"),
    ("GET", "/v1/providers", "providers"),
    ("POST", "/v1/agents", "agents add"),
    ("GET", "/v1/agents", "agents list"),
    ("GET", "/v1/agents/{id}", "agents show"),
    ("PATCH", "/v1/agents/{id}", "agents update"),
    ("DELETE", "/v1/agents/{id}", "agents delete"),
    ("PUT", "/v1/agents/{id}/availability", "agents availability"),
    ("POST", "/v1/teams", "teams add"),
    ("GET", "/v1/teams", "teams list"),
    ("GET", "/v1/teams/{id}", "teams show"),
    ("PATCH", "/v1/teams/{id}", "teams update"),
    ("DELETE", "/v1/teams/{id}", "teams delete"),
];

#[tokio::test]
async fn every_api_operation_is_reachable_from_the_cli() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Callbacks are the helpdesk's, not an operator's.
        if !path.starts_with("/v1/") || path.starts_with("/v1/helpdesks/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations.sort();
    let mut covered: Vec<(String, String)> = COMMANDS
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    covered.sort();
    assert_eq!(operations, covered, "each API operation has a CLI command");
    for (_, _, command) in COMMANDS {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let out = cli(&app, None, &args).await;
        assert_eq!(out.status.code(), Some(0), "omnigate {command} --help");
    }
}

/// The README shows `omnigate --help`'s list of commands as it is.
#[test]
fn the_readme_lists_the_commands_of_omnigate_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_omnigate"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(commands.len() > 10, "{help}");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != "Commands:")
        .take_while(|l| *l != "```")
        .collect();
    assert_eq!(
        shown, commands,
        "paste `omnigate --help`'s commands into README.md"
    );
}

#[tokio::test]
async fn listings_follow_every_page() {
    // More channels than the CLI asks for per page (100), created without the API's rate
    // limit, a few at a time.
    let app = spawn_with(|s| s.security.api_rate_per_second = 0).await;
    let mut created = Vec::new();
    for _ in 0..26 {
        let batch = (0..5).map(|_| app.create_naver_channel());
        for ch in futures_util::future::join_all(batch).await {
            created.push(ch["id"].as_str().unwrap().to_string());
        }
    }
    let (_, first) = app.get("/v1/channels?limit=100").await;
    assert!(first["next"].is_string(), "more than one page");
    let listed = ok_json(&app, &["channels", "list"]).await;
    let mut ids: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 130);
    ids.sort();
    created.sort();
    assert_eq!(ids, created);
}

#[tokio::test]
async fn an_operator_sets_up_agents_and_a_team_with_the_cli() {
    let app = spawn_app().await;
    let kim = ok_json(
        &app,
        &[
            "agents",
            "add",
            "--name",
            "Kim",
            "--external-id",
            "42",
            "--capacity",
            "3",
            "--working-hours",
            r#"{"time_zone":"Asia/Seoul","blocks":[{"days":["mon"],"from":"09:00","to":"18:00"}]}"#,
        ],
    )
    .await;
    let kim_id = kim["id"].as_str().unwrap();
    assert_eq!(
        (kim["capacity"].as_u64(), kim["status"].as_str()),
        (Some(3), Some("offline"))
    );
    assert_eq!(kim["working_hours"]["time_zone"], "Asia/Seoul");
    let online = ok_json(&app, &["agents", "availability", kim_id, "online"]).await;
    assert_eq!(online["status"], "online");
    let cleared = ok_json(
        &app,
        &["agents", "update", kim_id, "--working-hours", "null"],
    )
    .await;
    assert_eq!(
        (
            cleared["working_hours"].clone(),
            cleared["available"].as_bool()
        ),
        (Value::Null, Some(true))
    );
    let lee = ok_json(&app, &["agents", "add", "--name", "Lee"]).await;
    let lee_id = lee["id"].as_str().unwrap();
    let team = ok_json(
        &app,
        &[
            "teams", "add", "--name", "Sales", "--member", lee_id, "--member", kim_id,
        ],
    )
    .await;
    assert_eq!(team["members"], json!([lee_id, kim_id]));
    let team_id = team["id"].as_str().unwrap();
    let table = ok(
        &app,
        &["agents", "list", "--team", team_id, "--status", "online"],
    )
    .await;
    assert!(table.contains(kim_id) && !table.contains(lee_id), "{table}");
    let emptied = ok_json(&app, &["teams", "update", team_id, "--no-members"]).await;
    assert_eq!(emptied["members"], json!([]));
    let taken = cli(
        &app,
        Some(TOKEN),
        &["agents", "add", "--name", "Park", "--external-id", "42"],
    )
    .await;
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stderr(&taken).contains("409 external_id_taken"),
        "{}",
        stderr(&taken)
    );
    ok(&app, &["teams", "delete", team_id]).await;
    ok(&app, &["agents", "delete", lee_id]).await;
    let left = ok_json(&app, &["agents", "list"]).await;
    assert_eq!(left["items"].as_array().unwrap().len(), 1);
}

//! Each CLI command: one or two admin API calls and a table (or the JSON). Channels and
//! destinations have their own files.

use serde_json::{json, Value};

use super::client::{q, Client, ExitCode};
use super::table::render;
use super::{ClientCmd, DeliveryCmd, EventCmd, MessageCmd, Target, TokenCmd};

const DELIVERY_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("STATUS", "/status"),
    ("EVENT", "/event_type"),
    ("ATTEMPTS", "/attempts"),
    ("NEXT ATTEMPT", "/next_attempt_at"),
    ("LAST ERROR", "/last_error"),
];
const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("TIME", "/timestamp"),
    ("TYPE", "/type"),
    ("CONVERSATION", "/data/conversation/id"),
    ("TEXT", "/data/message/content/text"),
];

const TOKEN_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("ROLE", "/role"),
    ("LABEL", "/label"),
    ("CREATED", "/created_at"),
];
const MESSAGE_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("CONVERSATION", "/conversation_id"),
    ("STATUS", "/status"),
    ("ATTEMPTS", "/attempts"),
    ("ERROR", "/error"),
];
const PROVIDER_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("REPLIES", "/replies"),
    ("TOPICS", "/topics"),
    ("CREDENTIALS", "/credential_names"),
];

pub fn print_json(value: &Value) {
    println!("{value}");
}

/// A command whose answer has no body: a line for people, `{}` for scripts.
pub fn done(target: &Target, line: &str) -> Result<(), ExitCode> {
    if target.json {
        println!("{{}}");
    } else {
        println!("{line}");
    }
    Ok(())
}

/// A table of `value` (a list's `items`, or one object), or the JSON with `--json`.
pub fn show(target: &Target, value: &Value, columns: &[(&str, &str)]) {
    if target.json {
        print_json(value);
        return;
    }
    let items = match value.get("items").and_then(Value::as_array) {
        Some(items) => items.clone(),
        None => vec![value.clone()],
    };
    println!("{}", render(&items, columns));
}

pub async fn run(target: Target, cmd: ClientCmd) -> ExitCode {
    let client = match Client::new(&target) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match dispatch(&target, &client, cmd).await {
        Ok(()) => ExitCode::Ok,
        Err(code) => code,
    }
}

async fn dispatch(target: &Target, c: &Client, cmd: ClientCmd) -> Result<(), ExitCode> {
    match cmd {
        ClientCmd::Channels(cmd) => super::channels::run(target, c, cmd).await,
        ClientCmd::Destinations(cmd) => super::destinations::run(target, c, cmd).await,
        ClientCmd::Deliveries(DeliveryCmd::Show { id }) => {
            let v = c.get(&format!("/v1/deliveries/{}", q(&id))).await?;
            show(target, &v, DELIVERY_COLUMNS);
            Ok(())
        }
        ClientCmd::Tokens(cmd) => tokens(target, c, cmd).await,
        ClientCmd::Agents(cmd) => super::agents::agents(target, c, cmd).await,
        ClientCmd::Teams(cmd) => super::agents::teams(target, c, cmd).await,
        ClientCmd::Reply {
            conversation,
            text,
            content,
            idempotency_key,
        } => {
            let content = match (text, content) {
                (Some(text), _) => json!({"type": "text", "text": text}),
                (None, Some(content)) => serde_json::from_str(&content).map_err(|e| {
                    eprintln!("omnigate: --content is not JSON: {e}");
                    ExitCode::Usage
                })?,
                (None, None) => return Err(ExitCode::Usage),
            };
            let headers: Vec<(&str, &str)> = idempotency_key
                .as_deref()
                .map(|k| ("idempotency-key", k))
                .into_iter()
                .collect();
            let v = c
                .call_with(
                    reqwest::Method::POST,
                    &format!("/v1/conversations/{}/messages", q(&conversation)),
                    Some(json!({"content": content})),
                    &headers,
                )
                .await?;
            show(target, &v, MESSAGE_COLUMNS);
            Ok(())
        }
        ClientCmd::Messages(MessageCmd::Show { id }) => {
            let v = c.get(&format!("/v1/messages/{}", q(&id))).await?;
            show(target, &v, MESSAGE_COLUMNS);
            Ok(())
        }
        ClientCmd::Providers => {
            let mut v = c.get("/v1/providers").await?;
            if target.json {
                print_json(&v);
                return Ok(());
            }
            for p in v["items"].as_array_mut().into_iter().flatten() {
                let names: Vec<String> = p["credentials"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let name = f["name"].as_str().unwrap_or_default();
                        if f["secret"] == true {
                            format!("{name}(secret)")
                        } else {
                            name.to_string()
                        }
                    })
                    .collect();
                p["credential_names"] = json!(names);
            }
            show(target, &v, PROVIDER_COLUMNS);
            Ok(())
        }
        ClientCmd::Deliveries(DeliveryCmd::List {
            status,
            destination,
        }) => {
            let mut query = vec!["limit=500".to_string()];
            query.extend(status.map(|s| format!("status={}", q(&s))));
            query.extend(destination.map(|d| format!("destination={}", q(&d))));
            let v = c
                .get(&format!("/v1/deliveries?{}", query.join("&")))
                .await?;
            show(target, &v, DELIVERY_COLUMNS);
            Ok(())
        }
        ClientCmd::Deliveries(DeliveryCmd::Retry { id }) => {
            let v = c
                .post(&format!("/v1/deliveries/{}/retry", q(&id)), json!({}))
                .await?;
            show(target, &v, DELIVERY_COLUMNS);
            Ok(())
        }
        ClientCmd::Replay {
            destination,
            since,
            until,
        } => {
            let mut body = json!({"since": since});
            if let Some(u) = until {
                body["until"] = json!(u);
            }
            let v = c
                .post(
                    &format!("/v1/destinations/{}/replay", q(&destination)),
                    body,
                )
                .await?;
            if target.json {
                println!("{v}");
            } else {
                println!("queued {} events for {destination}", v["queued"]);
            }
            Ok(())
        }
        ClientCmd::Events(EventCmd::List {
            channel,
            conversation,
            event_type,
            limit,
        }) => {
            let mut query = vec![format!("limit={limit}")];
            query.extend(channel.map(|v| format!("channel={}", q(&v))));
            query.extend(conversation.map(|v| format!("conversation={}", q(&v))));
            query.extend(event_type.map(|v| format!("type={}", q(&v))));
            let v = c.get(&format!("/v1/events?{}", query.join("&"))).await?;
            show(target, &v, EVENT_COLUMNS);
            Ok(())
        }
        ClientCmd::Events(EventCmd::Show { id, include_raw }) => {
            let raw = if include_raw { "?include_raw=true" } else { "" };
            let v = c.get(&format!("/v1/events/{}{raw}", q(&id))).await?;
            // An event is nested JSON: the table would hide most of it.
            print_json(&v);
            Ok(())
        }
        ClientCmd::Events(EventCmd::Tail {
            channel,
            event_type,
            count,
        }) => super::tail::tail(target, c, channel, event_type, count, EVENT_COLUMNS).await,
    }
}

async fn tokens(target: &Target, c: &Client, cmd: TokenCmd) -> Result<(), ExitCode> {
    match cmd {
        TokenCmd::Create { role, label } => {
            let v = c
                .post("/v1/tokens", json!({"role": role, "label": label}))
                .await?;
            if target.json {
                print_json(&v);
            } else {
                println!("{}", render(std::slice::from_ref(&v), TOKEN_COLUMNS));
                println!(
                    "token (shown once): {}",
                    v["token"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
        TokenCmd::List => {
            let v = c.get("/v1/tokens").await?;
            show(target, &v, TOKEN_COLUMNS);
            Ok(())
        }
        TokenCmd::Delete { id } => {
            c.delete(&format!("/v1/tokens/{}", q(&id))).await?;
            done(target, &format!("deleted {id}"))
        }
    }
}

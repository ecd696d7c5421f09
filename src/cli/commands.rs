//! Each CLI command: one or two admin API calls and a table (or the JSON).

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::client::{q, Client, ExitCode};
use super::table::render;
use super::{ChannelCmd, ClientCmd, DeliveryCmd, DestinationCmd, EventCmd, Target};

const CHANNEL_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("PROVIDER", "/provider"),
    ("NAME", "/name"),
    ("STATE", "/state"),
    ("WEBHOOK URL", "/webhook_url"),
];
const DESTINATION_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("KIND", "/kind"),
    ("URL", "/url"),
    ("EVENTS", "/event_types"),
    ("ENABLED", "/enabled"),
];
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

fn show(target: &Target, value: &Value, columns: &[(&str, &str)]) {
    if target.json {
        println!("{value}");
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
        ClientCmd::Channels(cmd) => channels(target, c, cmd).await,
        ClientCmd::Destinations(cmd) => destinations(target, c, cmd).await,
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
        ClientCmd::Events(EventCmd::Tail {
            channel,
            event_type,
            count,
        }) => tail(target, c, channel, event_type, count).await,
    }
}

async fn channels(target: &Target, c: &Client, cmd: ChannelCmd) -> Result<(), ExitCode> {
    let v = match cmd {
        ChannelCmd::Add {
            provider,
            name,
            credentials,
        } => {
            let creds: Map<String, Value> = credentials
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            c.post(
                "/v1/channels",
                json!({"provider": provider, "name": name, "credentials": creds}),
            )
            .await?
        }
        ChannelCmd::List => c.get("/v1/channels").await?,
        ChannelCmd::Show { id } => c.get(&format!("/v1/channels/{}", q(&id))).await?,
        ChannelCmd::RequestApproval { id } => {
            let v = c
                .post(
                    &format!("/v1/channels/{}/approval-request", q(&id)),
                    json!({}),
                )
                .await?;
            if !target.json {
                for key in ["webhook_url", "brand_key", "chat_url"] {
                    if let Some(s) = v[key].as_str() {
                        println!("{key}: {s}");
                    }
                }
                if let Some(urls) = v["webhook_urls"].as_object() {
                    for (topic, url) in urls {
                        println!("webhook_url[{topic}]: {}", url.as_str().unwrap_or_default());
                    }
                }
                return Ok(());
            }
            v
        }
        ChannelCmd::Approve { id } => {
            c.post(&format!("/v1/channels/{}/approve", q(&id)), json!({}))
                .await?
        }
        ChannelCmd::Reject { id, reason } => {
            c.post(
                &format!("/v1/channels/{}/reject", q(&id)),
                json!({"reason": reason}),
            )
            .await?
        }
        ChannelCmd::Revoke { id, reason } => {
            c.post(
                &format!("/v1/channels/{}/revoke", q(&id)),
                json!({"reason": reason}),
            )
            .await?
        }
    };
    show(target, &v, CHANNEL_COLUMNS);
    Ok(())
}

async fn destinations(target: &Target, c: &Client, cmd: DestinationCmd) -> Result<(), ExitCode> {
    let v = match cmd {
        DestinationCmd::Add {
            url,
            kind,
            chatwoot,
            event_types,
            channels,
            include_raw,
        } => {
            let mut body = json!({"event_types": event_types, "channels": channels,
                                  "include_raw": include_raw});
            if let Some(kind) = kind {
                body["kind"] = json!(kind);
            }
            // Only the flags given are sent, so the gateway names a missing or misplaced field.
            let fields = [
                ("url", json!(url)),
                ("base_url", json!(chatwoot.base_url)),
                ("account_id", json!(chatwoot.account_id)),
                ("inbox_id", json!(chatwoot.inbox_id)),
                ("api_access_token", json!(chatwoot.api_access_token)),
                ("inbox_secret", json!(chatwoot.inbox_secret)),
                (
                    "allow_unsigned_callbacks",
                    json!(chatwoot.allow_unsigned_callbacks.then_some(true)),
                ),
            ];
            for (key, value) in fields.into_iter().filter(|(_, v)| !v.is_null()) {
                body[key] = value;
            }
            let v = c.post("/v1/destinations", body).await?;
            if !target.json {
                println!("{}", render(std::slice::from_ref(&v), DESTINATION_COLUMNS));
                if let Some(secret) = v["secret"].as_str() {
                    println!("signing secret (shown once): {secret}");
                }
                if let Some(callback) = v["callback_url"].as_str() {
                    println!("callback_url (the inbox's webhook URL): {callback}");
                }
                return Ok(());
            }
            v
        }
        DestinationCmd::List => c.get("/v1/destinations").await?,
        DestinationCmd::Disable { id } => {
            c.call(
                reqwest::Method::PATCH,
                &format!("/v1/destinations/{}", q(&id)),
                Some(json!({"enabled": false})),
            )
            .await?
        }
        DestinationCmd::Enable { id } => {
            c.call(
                reqwest::Method::PATCH,
                &format!("/v1/destinations/{}", q(&id)),
                Some(json!({"enabled": true})),
            )
            .await?
        }
        DestinationCmd::Test { id } => {
            let v = c
                .post(&format!("/v1/destinations/{}/test", q(&id)), json!({}))
                .await?;
            if target.json {
                println!("{v}");
            } else {
                let status = v["status"].as_u64().map_or("-".into(), |s| s.to_string());
                let error = v["error"].as_str().unwrap_or("none");
                println!(
                    "delivered: {}  status: {status}  error: {error}\n{}",
                    v["delivered"],
                    v["response_body"].as_str().unwrap_or_default()
                );
            }
            // A destination that refused the test is a refusal, for scripts.
            return if v["delivered"] == true {
                Ok(())
            } else {
                Err(ExitCode::Refused)
            };
        }
    };
    show(target, &v, DESTINATION_COLUMNS);
    Ok(())
}

/// Prints events as they are stored: pages through the events API from the newest one seen.
async fn tail(
    target: &Target,
    c: &Client,
    channel: Option<String>,
    event_type: Option<String>,
    count: Option<usize>,
) -> Result<(), ExitCode> {
    let mut filters = Vec::new();
    filters.extend(channel.map(|ch| format!("channel={}", q(&ch))));
    filters.extend(event_type.map(|t| format!("type={}", q(&t))));
    // Start after the newest stored event: walk to the last page once.
    let mut after: Option<String> = None;
    loop {
        let mut query = filters.clone();
        query.push("limit=500".into());
        query.extend(after.as_ref().map(|a| format!("after={}", q(a))));
        let page = c.get(&format!("/v1/events?{}", query.join("&"))).await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if let Some(last) = items.last() {
            after = last
                .pointer("/data/event_id")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        if page["next"].is_null() {
            break;
        }
    }
    let mut printed = 0usize;
    if !target.json {
        println!("{}", render(&[], EVENT_COLUMNS));
    }
    loop {
        let mut query = filters.clone();
        query.push("limit=500".into());
        query.extend(after.as_ref().map(|a| format!("after={}", q(a))));
        let page = c.get(&format!("/v1/events?{}", query.join("&"))).await?;
        for item in page["items"].as_array().cloned().unwrap_or_default() {
            after = item
                .pointer("/data/event_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            if target.json {
                println!("{item}");
            } else {
                let text = render(&[item], EVENT_COLUMNS);
                println!("{}", text.lines().nth(1).unwrap_or_default());
            }
            printed += 1;
            if count.is_some_and(|n| printed >= n) {
                return Ok(());
            }
        }
        if page["next"].is_null() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

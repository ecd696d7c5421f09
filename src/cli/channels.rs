//! `omnigate channels ...`: registering channels and walking them through their states.

use serde_json::{json, Map, Value};

use super::client::{q, Client, ExitCode};
use super::commands::{done, print_json, show};
use super::{ChannelCmd, Target};

const CHANNEL_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("PROVIDER", "/provider"),
    ("NAME", "/name"),
    ("STATE", "/state"),
    ("WEBHOOK URL", "/webhook"),
];

/// The fields `channels show` prints first, in this order; any other top-level value (what a
/// provider adds on approval) follows.
const SHOWN_FIRST: &[&str] = &[
    "id",
    "provider",
    "name",
    "state",
    "state_reason",
    "brand_key",
    "chat_url",
];
const SHOWN_APART: &[&str] = &[
    "credentials",
    "settings",
    "webhook_url",
    "webhook_urls",
    "created_at",
    "updated_at",
];

/// One line per webhook URL: `webhook_url: ...`, or `webhook_url[topic]: ...` per topic.
fn webhook_lines(channel: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(url) = channel["webhook_url"].as_str() {
        lines.push(format!("webhook_url: {url}"));
    }
    if let Some(urls) = channel["webhook_urls"].as_object() {
        for (topic, url) in urls {
            let url = url.as_str().unwrap_or_default();
            lines.push(format!("webhook_url[{topic}]: {url}"));
        }
    }
    lines
}

/// The list's webhook cell: the URL, or for a provider with one URL per topic
/// `.../hooks/<key>/{topic,topic,...}`.
fn webhook_cell(channel: &Value) -> Value {
    if let Some(url) = channel["webhook_url"].as_str() {
        return json!(url);
    }
    let Some(urls) = channel["webhook_urls"].as_object() else {
        return Value::Null;
    };
    let Some((topic, first)) = urls.iter().next() else {
        return Value::Null;
    };
    let first = first.as_str().unwrap_or_default();
    let base = first
        .strip_suffix(topic.as_str())
        .unwrap_or(first)
        .trim_end_matches('/');
    let topics: Vec<&str> = urls.keys().map(String::as_str).collect();
    json!(format!("{base}/{{{}}}", topics.join(",")))
}

fn with_webhook_cells(mut v: Value) -> Value {
    match v.get_mut("items").and_then(Value::as_array_mut) {
        Some(items) => items.iter_mut().for_each(|item| {
            item["webhook"] = webhook_cell(item);
        }),
        None => v["webhook"] = webhook_cell(&v),
    }
    v
}

/// `channels show`: every field on its own line, credentials as the API shows them (masked).
fn print_channel(channel: &Value) {
    let text = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for key in SHOWN_FIRST {
        if let Some(value) = channel
            .get(*key)
            .filter(|v| !v.is_null() || *key == "state_reason")
        {
            println!("{key}: {}", text(value));
        }
    }
    if let Some(object) = channel.as_object() {
        for (key, value) in object {
            if !SHOWN_FIRST.contains(&key.as_str())
                && !SHOWN_APART.contains(&key.as_str())
                && !value.is_null()
            {
                println!("{key}: {}", text(value));
            }
        }
    }
    for (field, value) in channel["credentials"].as_object().into_iter().flatten() {
        println!("credential {field}: {}", text(value));
    }
    if channel["settings"]
        .as_object()
        .is_some_and(|s| !s.is_empty())
    {
        println!("settings: {}", channel["settings"]);
    }
    let webhooks = webhook_lines(channel);
    if webhooks.is_empty() {
        println!("webhook_url: - (request approval to get one)");
    }
    webhooks.iter().for_each(|l| println!("{l}"));
    println!("created_at: {}", text(&channel["created_at"]));
    println!("updated_at: {}", text(&channel["updated_at"]));
}

pub async fn run(target: &Target, c: &Client, cmd: ChannelCmd) -> Result<(), ExitCode> {
    let path = |id: &str, tail: &str| format!("/v1/channels/{}{tail}", q(id));
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
            let v = c
                .post(
                    "/v1/channels",
                    json!({"provider": provider, "name": name, "credentials": creds}),
                )
                .await?;
            for warning in v["warnings"].as_array().into_iter().flatten() {
                eprintln!("warning: {}", warning.as_str().unwrap_or_default());
            }
            v
        }
        ChannelCmd::List => c.get_all("/v1/channels").await?,
        ChannelCmd::Show { id } => {
            let v = c.get(&path(&id, "")).await?;
            if target.json {
                print_json(&v);
            } else {
                print_channel(&v);
            }
            return Ok(());
        }
        ChannelCmd::Update {
            id,
            name,
            credentials,
            settings,
        } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if !credentials.is_empty() {
                let creds: Map<String, Value> = credentials
                    .into_iter()
                    .map(|(k, v)| (k, Some(v).filter(|v| !v.is_empty()).into()))
                    .collect();
                body["credentials"] = Value::Object(creds);
            }
            if let Some(settings) = settings {
                body["settings"] = serde_json::from_str(&settings).map_err(|e| {
                    eprintln!("omnigate: --settings is not JSON: {e}");
                    ExitCode::Usage
                })?;
            }
            c.patch(&path(&id, ""), body).await?
        }
        ChannelCmd::Delete { id } => {
            c.delete(&path(&id, "")).await?;
            return done(target, &format!("deleted {id}"));
        }
        ChannelCmd::History { id } => {
            let v = c.get(&path(&id, "/history")).await?;
            show(target, &v, HISTORY_COLUMNS);
            return Ok(());
        }
        ChannelCmd::RequestApproval { id } => {
            let v = c.post(&path(&id, "/approval-request"), json!({})).await?;
            if !target.json {
                webhook_lines(&v).iter().for_each(|l| println!("{l}"));
                for key in ["brand_key", "chat_url"] {
                    if let Some(s) = v[key].as_str() {
                        println!("{key}: {s}");
                    }
                }
                return Ok(());
            }
            v
        }
        ChannelCmd::RotateKey { id, grace_seconds } => {
            let body = match grace_seconds {
                Some(g) => json!({"grace_seconds": g}),
                None => json!({}),
            };
            let v = c.post(&path(&id, "/rotate-key"), body).await?;
            if !target.json {
                webhook_lines(&v).iter().for_each(|l| println!("{l}"));
                let until = v["previous_key_valid_until"].as_str().unwrap_or("now");
                println!("previous URL(s) valid until: {until}");
                return Ok(());
            }
            v
        }
        ChannelCmd::Approve { id } => c.post(&path(&id, "/approve"), json!({})).await?,
        ChannelCmd::Reject { id, reason } => {
            c.post(&path(&id, "/reject"), json!({"reason": reason}))
                .await?
        }
        ChannelCmd::Revoke { id, reason } => {
            c.post(&path(&id, "/revoke"), json!({"reason": reason}))
                .await?
        }
    };
    if target.json {
        print_json(&v);
    } else {
        show(target, &with_webhook_cells(v), CHANNEL_COLUMNS);
    }
    Ok(())
}

const HISTORY_COLUMNS: &[(&str, &str)] = &[
    ("AT", "/at"),
    ("FROM", "/from"),
    ("TO", "/state"),
    ("BY", "/actor"),
    ("REASON", "/reason"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_with_one_url_per_topic_lists_them_all_in_one_cell() {
        let chatlio = json!({"webhook_url": null, "webhook_urls": {
            "feedback": "http://gw/hooks/k1/feedback",
            "transcript": "http://gw/hooks/k1/transcript"}});
        assert_eq!(
            webhook_cell(&chatlio),
            json!("http://gw/hooks/k1/{feedback,transcript}")
        );
        assert_eq!(
            webhook_cell(&json!({"webhook_url": "http://gw/hooks/k2"})),
            json!("http://gw/hooks/k2")
        );
        assert_eq!(webhook_cell(&json!({"webhook_url": null})), Value::Null);
    }
}

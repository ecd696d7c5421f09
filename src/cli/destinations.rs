//! `omnigate destinations ...`: where events go.

use serde_json::{json, Value};

use super::client::{q, Client, ExitCode};
use super::commands::{done, print_json, show};
use super::table::render;
use super::{DestinationCmd, Target};

const DESTINATION_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("KIND", "/kind"),
    ("URL", "/url"),
    ("EVENTS", "/event_types"),
    ("ENABLED", "/enabled"),
];

pub async fn run(target: &Target, c: &Client, cmd: DestinationCmd) -> Result<(), ExitCode> {
    let path = |id: &str, tail: &str| format!("/v1/destinations/{}{tail}", q(id));
    let v = match cmd {
        DestinationCmd::Add {
            url,
            url_flag,
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
            if let Some(url) = url.or(url_flag) {
                body["url"] = json!(url);
            }
            for (key, value) in chatwoot.body_fields() {
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
        DestinationCmd::List => c.get_all("/v1/destinations").await?,
        DestinationCmd::Show { id } => {
            let v = c.get(&path(&id, "")).await?;
            if !target.json {
                println!("{}", render(std::slice::from_ref(&v), DESTINATION_COLUMNS));
                for key in ["channels", "include_raw", "disabled_reason", "callback_url"] {
                    if let Some(value) = v.get(key).filter(|v| !v.is_null()) {
                        println!("{key}: {value}");
                    }
                }
                return Ok(());
            }
            v
        }
        DestinationCmd::Update {
            id,
            url,
            event_types,
            channels,
            all_channels,
            include_raw,
        } => {
            let mut body = json!({});
            if let Some(url) = url {
                body["url"] = json!(url);
            }
            if !event_types.is_empty() {
                body["event_types"] = json!(event_types);
            }
            if !channels.is_empty() || all_channels {
                body["channels"] = json!(channels);
            }
            if let Some(raw) = include_raw {
                body["include_raw"] = json!(raw);
            }
            c.patch(&path(&id, ""), body).await?
        }
        DestinationCmd::Delete { id } => {
            c.delete(&path(&id, "")).await?;
            return done(target, &format!("deleted {id}"));
        }
        DestinationCmd::Disable { id } => {
            c.patch(&path(&id, ""), json!({"enabled": false})).await?
        }
        DestinationCmd::Enable { id } => {
            let v = c.patch(&path(&id, ""), json!({"enabled": true})).await?;
            if !target.json {
                show(target, &v, DESTINATION_COLUMNS);
                print_missed(&id, &v);
                return Ok(());
            }
            v
        }
        DestinationCmd::RotateCallbackSecret { id } => {
            let v = c
                .post(&path(&id, "/rotate-callback-secret"), json!({}))
                .await?;
            if !target.json {
                let callback = v["callback_url"].as_str().unwrap_or_default();
                println!("callback_url (paste it into the inbox now): {callback}");
                return Ok(());
            }
            v
        }
        DestinationCmd::Test { id } => {
            let v = c.post(&path(&id, "/test"), json!({})).await?;
            if target.json {
                print_json(&v);
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

/// After `enable`: what arrived while the destination was disabled, and the replay that sends it.
fn print_missed(id: &str, v: &Value) {
    let missed = &v["missed_while_disabled"];
    let Some(since) = missed["since"].as_str() else {
        return;
    };
    let until = missed["until"].as_str().unwrap_or_default();
    let events = missed["events"].as_u64().unwrap_or(0);
    if events == 0 {
        println!("no events arrived while it was disabled (since {since})");
    } else {
        println!(
            "{events} events arrived while it was disabled (since {since}); send them with:\n  \
             omnigate replay {id} --since {since} --until {until}"
        );
    }
}

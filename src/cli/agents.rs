//! `omnigate agents ...` and `omnigate teams ...`: who conversations are offered to.

use clap::Subcommand;
use serde_json::{json, Value};

use super::client::{q, Client, ExitCode};
use super::commands::{done, show};
use super::Target;

const AGENT_COLUMNS: &[(&str, &str)] = &[
    ("ID", "/id"),
    ("NAME", "/name"),
    ("STATUS", "/status"),
    ("AVAILABLE", "/available"),
    ("CAPACITY", "/capacity"),
    ("EXTERNAL ID", "/external_id"),
    ("TEAMS", "/teams"),
];
const TEAM_COLUMNS: &[(&str, &str)] = &[("ID", "/id"), ("NAME", "/name"), ("MEMBERS", "/members")];

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Register an agent: `--name "Kim Minji" --email minji@example.com --external-id 42`.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// The agent's id in their helpdesk.
        #[arg(long)]
        external_id: Option<String>,
        /// Conversations at once, 1 to 1000 (default 10).
        #[arg(long)]
        capacity: Option<u64>,
        /// `online`, `away` or `offline` (the default).
        #[arg(long)]
        status: Option<String>,
        /// Working hours as JSON: '{"time_zone":"Asia/Seoul","blocks":[{"days":["mon"],"from":"09:00","to":"18:00"}]}'.
        #[arg(long)]
        working_hours: Option<String>,
    },
    /// List agents, e.g. `--status online` or `--team tm_...`.
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        status: Option<String>,
    },
    /// One agent: status, availability, capacity, teams.
    Show { id: String },
    /// Change an agent; `--working-hours null` (or `--email null`) removes the field.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        external_id: Option<String>,
        #[arg(long)]
        capacity: Option<u64>,
        #[arg(long)]
        working_hours: Option<String>,
    },
    /// Set an agent's status: `online`, `away` or `offline`.
    Availability { id: String, status: String },
    /// Delete an agent (they leave every team).
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Create a team: `--name Sales --member agt_... --member agt_...`.
    Add {
        #[arg(long)]
        name: String,
        /// An agent id (repeat, in order).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// List teams.
    List,
    /// One team and its members.
    Show { id: String },
    /// Rename a team or replace its members (`--member` repeated, or `--no-members`).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "member")]
        members: Vec<String>,
        /// Leave the team empty.
        #[arg(long, conflicts_with = "members")]
        no_members: bool,
    },
    /// Delete a team (its members stay agents).
    Delete { id: String },
}

/// A flag's JSON (`--working-hours`), or `null` spelled out.
fn json_flag(flag: &str, value: &str) -> Result<Value, ExitCode> {
    serde_json::from_str(value).map_err(|e| {
        eprintln!("omnigate: {flag} is not JSON: {e}");
        ExitCode::Usage
    })
}

/// A text flag where `null` clears the field.
fn text_or_null(value: String) -> Value {
    if value == "null" {
        Value::Null
    } else {
        json!(value)
    }
}

pub async fn agents(target: &Target, c: &Client, cmd: AgentCmd) -> Result<(), ExitCode> {
    let path = |id: &str, tail: &str| format!("/v1/agents/{}{tail}", q(id));
    let v = match cmd {
        AgentCmd::Add {
            name,
            email,
            external_id,
            capacity,
            status,
            working_hours,
        } => {
            let mut body = json!({"name": name});
            for (key, value) in [
                ("email", email),
                ("external_id", external_id),
                ("status", status),
            ] {
                if let Some(value) = value {
                    body[key] = json!(value);
                }
            }
            if let Some(capacity) = capacity {
                body["capacity"] = json!(capacity);
            }
            if let Some(hours) = working_hours {
                body["working_hours"] = json_flag("--working-hours", &hours)?;
            }
            c.post("/v1/agents", body).await?
        }
        AgentCmd::List { team, status } => {
            let mut query = String::new();
            for (key, value) in [("team", team), ("status", status)] {
                if let Some(value) = value {
                    query.push_str(&format!("&{key}={}", q(&value)));
                }
            }
            c.get_all_with("/v1/agents", &query).await?
        }
        AgentCmd::Show { id } => c.get(&path(&id, "")).await?,
        AgentCmd::Update {
            id,
            name,
            email,
            external_id,
            capacity,
            working_hours,
        } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            for (key, value) in [("email", email), ("external_id", external_id)] {
                if let Some(value) = value {
                    body[key] = text_or_null(value);
                }
            }
            if let Some(capacity) = capacity {
                body["capacity"] = json!(capacity);
            }
            if let Some(hours) = working_hours {
                body["working_hours"] = json_flag("--working-hours", &hours)?;
            }
            c.patch(&path(&id, ""), body).await?
        }
        AgentCmd::Availability { id, status } => {
            c.call(
                reqwest::Method::PUT,
                &path(&id, "/availability"),
                Some(json!({"status": status})),
            )
            .await?
        }
        AgentCmd::Delete { id } => {
            c.delete(&path(&id, "")).await?;
            return done(target, &format!("deleted {id}"));
        }
    };
    show(target, &v, AGENT_COLUMNS);
    Ok(())
}

pub async fn teams(target: &Target, c: &Client, cmd: TeamCmd) -> Result<(), ExitCode> {
    let path = |id: &str| format!("/v1/teams/{}", q(id));
    let v = match cmd {
        TeamCmd::Add { name, members } => {
            c.post("/v1/teams", json!({"name": name, "members": members}))
                .await?
        }
        TeamCmd::List => c.get_all("/v1/teams").await?,
        TeamCmd::Show { id } => c.get(&path(&id)).await?,
        TeamCmd::Update {
            id,
            name,
            members,
            no_members,
        } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if no_members || !members.is_empty() {
                body["members"] = json!(members);
            }
            c.patch(&path(&id), body).await?
        }
        TeamCmd::Delete { id } => {
            c.delete(&path(&id)).await?;
            return done(target, &format!("deleted {id}"));
        }
    };
    show(target, &v, TEAM_COLUMNS);
    Ok(())
}

//! The JSON of `/v1/agents` and `/v1/teams`: the views, and the checks of each field a body
//! may carry, each refused with its own code and `field`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::time::Timestamp;
use crate::error::Code;
use crate::http::{ApiError, ApiResult};
use crate::routing::agents::{self, Agent, Status, Team, MAX_MEMBERS};
use crate::routing::hours::WorkingHours;

/// An agent. `available` says whether they can be offered a conversation now: `online`, and
/// inside their working hours when they have some.
#[derive(Serialize, ToSchema)]
#[schema(as = Agent)]
pub struct AgentView {
    #[schema(example = "agt_0b6f3c0c8f2a4d5e9b1c2d3e4f5a6b7c")]
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// The agent's id in their helpdesk; unique among agents.
    pub external_id: Option<String>,
    /// How many conversations the agent takes at once (offered and accepted).
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: u32,
    pub status: Status,
    pub status_changed_at: Timestamp,
    pub working_hours: Option<WorkingHours>,
    pub available: bool,
    /// The teams the agent is in, by id.
    pub teams: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl AgentView {
    pub fn new(a: Agent, now: Timestamp) -> AgentView {
        AgentView {
            available: a.available_at(now),
            id: a.id,
            name: a.name,
            email: a.email,
            external_id: a.external_id,
            capacity: a.capacity,
            status: a.status,
            status_changed_at: a.status_changed_at,
            working_hours: a.working_hours,
            teams: a.teams,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of agents.
#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub items: Vec<AgentView>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

/// A team: its members in the order given.
#[derive(Serialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamView {
    #[schema(example = "tm_4c1f0e2d3b5a49687f6e5d4c3b2a1908")]
    pub id: String,
    pub name: String,
    /// Agent ids.
    pub members: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> TeamView {
        TeamView {
            id: t.id,
            name: t.name,
            members: t.members,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A page of teams.
#[derive(Serialize, ToSchema)]
pub struct TeamList {
    pub items: Vec<TeamView>,
    /// The cursor for `after`; `null` on the last page.
    pub next: Option<String>,
}

/// Reads a field that may be given as `null`: absent is `None`, present (`null` included) is
/// `Some`, so a patch can tell "keep" from "clear".
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn refuse(code: Code, field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(code, detail).with("field", field.to_string())
}

pub fn name(name: &str) -> ApiResult<String> {
    agents::valid_name(name).ok_or_else(|| {
        refuse(
            Code::InvalidName,
            "name",
            "name must be 1 to 200 characters",
        )
    })
}

/// An optional text field's value: `null` clears it.
fn optional(
    value: &Value,
    field: &str,
    code: Code,
    check: fn(&str) -> Option<String>,
    detail: &str,
) -> ApiResult<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => check(s)
            .map(Some)
            .ok_or_else(|| refuse(code, field, detail)),
        _ => Err(refuse(
            code,
            field,
            format!("{field} must be a string or null"),
        )),
    }
}

pub fn email(value: &Value) -> ApiResult<Option<String>> {
    optional(
        value,
        "email",
        Code::InvalidEmail,
        agents::valid_email,
        "email must be an address like name@example.com, at most 200 characters",
    )
}

pub fn external_id(value: &Value) -> ApiResult<Option<String>> {
    optional(
        value,
        "external_id",
        Code::InvalidExternalId,
        agents::valid_external_id,
        "external_id must be 1 to 200 characters without control characters",
    )
}

pub fn capacity(value: &Value) -> ApiResult<u32> {
    value
        .as_u64()
        .and_then(agents::valid_capacity)
        .ok_or_else(|| {
            refuse(
                Code::InvalidCapacity,
                "capacity",
                "capacity must be a whole number from 1 to 1000",
            )
        })
}

pub fn status(value: &str) -> ApiResult<Status> {
    Status::parse(value).ok_or_else(|| {
        refuse(
            Code::InvalidStatus,
            "status",
            "status must be \"online\", \"away\" or \"offline\"",
        )
    })
}

/// Working hours, or `null` for none.
pub fn working_hours(value: &Value) -> ApiResult<Option<WorkingHours>> {
    if value.is_null() {
        return Ok(None);
    }
    let problem = |pointer: &str, detail: String| {
        refuse(Code::InvalidWorkingHours, "working_hours", detail).with("pointer", pointer)
    };
    let hours: WorkingHours = serde_json::from_value(value.clone()).map_err(|e| {
        problem(
            "",
            format!("working_hours must be {{time_zone, blocks: [{{days, from, to}}]}}: {e}"),
        )
    })?;
    hours
        .validate()
        .map_err(|e| problem(&e.pointer, e.detail))?;
    Ok(Some(hours))
}

/// Team members: at most [`MAX_MEMBERS`], each once (the store refuses unknown agents).
pub fn members(members: Vec<String>) -> ApiResult<Vec<String>> {
    let members = agents::unique_members(members);
    if members.len() > MAX_MEMBERS {
        return Err(refuse(
            Code::InvalidMembers,
            "members",
            format!("a team has at most {MAX_MEMBERS} members"),
        ));
    }
    Ok(members)
}

/// One page of a listing kept whole in memory (agents and teams are few): the items after the
/// one named `after` that `keep` takes, at most `limit`, and the cursor of the next page.
pub fn page<T>(
    all: Vec<T>,
    id: impl Fn(&T) -> &str,
    after: Option<String>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let start = match after {
        None => 0,
        Some(after) => {
            all.iter().position(|t| id(t) == after).ok_or_else(|| {
                ApiError::new(
                    Code::InvalidCursor,
                    "after must be an id from a previous page",
                )
            })? + 1
        }
    };
    let items: Vec<T> = all
        .into_iter()
        .skip(start)
        .filter(|t| keep(t))
        .take(limit)
        .collect();
    let next = super::paging::next(&items, limit, &id);
    Ok((items, next))
}

//! Agents and teams: who can be offered a conversation. An agent has a capacity (how many
//! conversations at once), an availability they set (`online`, `away`, `offline`) and optional
//! working hours; they are *available* for offers only while `online` and inside their hours.
//! A team is an ordered list of agents. The store keeps both (`store::Agents`); this module
//! holds the records and the rules their fields follow.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hours::WorkingHours;
use crate::domain::time::Timestamp;

/// What an agent gets when no capacity is given (Marketo: "a limit of 10 live chats per agent").
pub const DEFAULT_CAPACITY: u32 = 10;
/// The largest capacity an agent can have.
pub const MAX_CAPACITY: u32 = 1000;
/// The most agents a team holds.
pub const MAX_MEMBERS: usize = 1000;
/// The longest name, e-mail address or external id, in characters.
pub const MAX_TEXT: usize = 200;

/// An agent's own status. `away` and `offline` both stop new offers; routing keeps what the
/// agent already has in either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Online,
    Away,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Online, Status::Away, Status::Offline]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// An agent as stored. `teams` is derived from the teams' members when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// The agent's id in the helpdesk they work in; unique among agents.
    pub external_id: Option<String>,
    pub capacity: u32,
    pub status: Status,
    pub status_changed_at: Timestamp,
    pub working_hours: Option<WorkingHours>,
    #[serde(default, skip_serializing)]
    pub teams: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agent {
    /// Whether the agent can be offered a conversation at `at`: `online`, and inside their
    /// working hours when they have some.
    pub fn available_at(&self, at: Timestamp) -> bool {
        self.status == Status::Online
            && self.working_hours.as_ref().map_or(true, |h| h.contains(at))
    }
}

/// What to change on an agent; `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub capacity: Option<u32>,
    pub status: Option<Status>,
    pub working_hours: Option<Option<WorkingHours>>,
}

impl AgentPatch {
    /// Applies the patch as of `now`; a changed status restarts `status_changed_at`.
    pub fn apply(self, agent: &mut Agent, now: Timestamp) {
        if let Some(name) = self.name {
            agent.name = name;
        }
        if let Some(email) = self.email {
            agent.email = email;
        }
        if let Some(external_id) = self.external_id {
            agent.external_id = external_id;
        }
        if let Some(capacity) = self.capacity {
            agent.capacity = capacity;
        }
        if let Some(status) = self.status {
            if status != agent.status {
                agent.status = status;
                agent.status_changed_at = now;
            }
        }
        if let Some(hours) = self.working_hours {
            agent.working_hours = hours;
        }
        agent.updated_at = now;
    }
}

/// A team as stored: its members in the order given, each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing)]
    pub members: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What to change on a team.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub members: Option<Vec<String>>,
}

impl TeamPatch {
    pub fn apply(self, team: &mut Team, now: Timestamp) {
        if let Some(name) = self.name {
            team.name = name;
        }
        if let Some(members) = self.members {
            team.members = members;
        }
        team.updated_at = now;
    }
}

/// The members as given, each kept once at its first place.
pub fn unique_members(members: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    members
        .into_iter()
        .filter(|m| seen.insert(m.clone()))
        .collect()
}

/// A name: 1 to 200 characters once trimmed.
pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= MAX_TEXT).then(|| name.to_string())
}

/// An e-mail address: one `@` with text on both sides, no spaces, at most 200 characters.
pub fn valid_email(email: &str) -> Option<String> {
    let email = email.trim();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && email.chars().count() <= MAX_TEXT;
    ok.then(|| email.to_string())
}

/// An external id: 1 to 200 characters, no surrounding whitespace kept, no control characters.
pub fn valid_external_id(id: &str) -> Option<String> {
    let id = id.trim();
    let ok = !id.is_empty() && id.chars().count() <= MAX_TEXT && !id.chars().any(char::is_control);
    ok.then(|| id.to_string())
}

/// A capacity: 1 to [`MAX_CAPACITY`].
pub fn valid_capacity(capacity: u64) -> Option<u32> {
    u32::try_from(capacity)
        .ok()
        .filter(|c| (1..=MAX_CAPACITY).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::hours::Block;

    fn agent() -> Agent {
        Agent {
            id: "agt_1".into(),
            name: "Kim Minji".into(),
            email: None,
            external_id: None,
            capacity: DEFAULT_CAPACITY,
            status: Status::Offline,
            status_changed_at: Timestamp::from_millis(0),
            working_hours: None,
            teams: vec![],
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn an_agent_is_available_only_online_and_inside_their_hours() {
        let monday_10_utc = Timestamp::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let monday_20_utc = Timestamp::parse_rfc3339("2026-11-23T20:00:00Z").unwrap();
        let mut a = agent();
        assert!(!a.available_at(monday_10_utc), "offline");
        a.status = Status::Away;
        assert!(!a.available_at(monday_10_utc), "away");
        a.status = Status::Online;
        assert!(
            a.available_at(monday_10_utc) && a.available_at(monday_20_utc),
            "no hours"
        );
        a.working_hours = Some(WorkingHours {
            time_zone: "UTC".into(),
            blocks: vec![Block {
                days: vec!["mon".into()],
                from: "09:00".into(),
                to: "18:00".into(),
            }],
        });
        assert!(a.available_at(monday_10_utc));
        assert!(!a.available_at(monday_20_utc), "outside the hours");
    }

    #[test]
    fn a_status_change_restarts_its_clock_and_the_same_status_does_not() {
        let mut a = agent();
        let t1 = Timestamp::from_millis(1_000);
        AgentPatch {
            status: Some(Status::Online),
            ..Default::default()
        }
        .apply(&mut a, t1);
        assert_eq!((a.status, a.status_changed_at), (Status::Online, t1));
        AgentPatch {
            status: Some(Status::Online),
            capacity: Some(3),
            ..Default::default()
        }
        .apply(&mut a, Timestamp::from_millis(2_000));
        assert_eq!(a.status_changed_at, t1);
        assert_eq!(a.capacity, 3);
        assert_eq!(a.updated_at, Timestamp::from_millis(2_000));
    }

    #[test]
    fn fields_are_checked_at_the_edge() {
        assert_eq!(valid_name("  Kim  ").as_deref(), Some("Kim"));
        assert_eq!(valid_name("   "), None);
        assert_eq!(valid_name(&"x".repeat(201)), None);
        assert_eq!(
            valid_email("minji@example.com").as_deref(),
            Some("minji@example.com")
        );
        for bad in [
            "minji",
            "@example.com",
            "minji@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert_eq!(valid_email(bad), None, "{bad}");
        }
        assert_eq!(valid_external_id(" 42 ").as_deref(), Some("42"));
        assert_eq!(valid_external_id("4\n2"), None);
        assert_eq!(valid_capacity(0), None);
        assert_eq!(valid_capacity(1), Some(1));
        assert_eq!(valid_capacity(1000), Some(1000));
        assert_eq!(valid_capacity(1001), None);
        assert_eq!(valid_capacity(u64::MAX), None);
        assert_eq!(
            unique_members(vec!["b".into(), "a".into(), "b".into()]),
            vec!["b".to_string(), "a".to_string()]
        );
        assert_eq!(Status::parse("away"), Some(Status::Away));
        assert_eq!(Status::parse("busy"), None);
    }
}

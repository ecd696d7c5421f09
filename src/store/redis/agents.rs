//! Agents and teams in the redis engine: each record is a hash holding its JSON and a version;
//! a change is read, applied in Rust and written back by a script only if the version is still
//! the one read (`put_agent.lua`, `put_team.lua`), so concurrent patches never undo each other.
//! A listing reads every record in one round trip.

use async_trait::async_trait;
use redis::AsyncCommands;

use super::RedisStore;
use crate::domain::time::Timestamp;
use crate::routing::agents::{Agent, AgentPatch, Team, TeamPatch};
use crate::store::{Agents, StoreError, StoreResult};

/// How often a write is tried again when the record changed under it.
const ATTEMPTS: usize = 10;

fn parse<T: serde::de::DeserializeOwned>(what: &str, id: &str, record: &str) -> StoreResult<T> {
    serde_json::from_str(record)
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("{what} {id}: damaged record: {e}")))
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Internal(anyhow::anyhow!(e)))
}

/// An agent with its version, or `None`.
async fn read_agent(st: &RedisStore, id: &str) -> StoreResult<Option<(Agent, String)>> {
    let ((record, version), mut teams): ((Option<String>, Option<String>), Vec<String>) =
        st.ok(redis::pipe()
            .hget(st.keys.agent(id), &["record", "version"])
            .smembers(st.keys.agent_teams(id))
            .query_async(&mut st.conn())
            .await)?;
    let (Some(record), Some(version)) = (record, version) else {
        return Ok(None);
    };
    let mut agent: Agent = parse("agent", id, &record)?;
    teams.sort();
    agent.teams = teams;
    Ok(Some((agent, version)))
}

async fn read_team(st: &RedisStore, id: &str) -> StoreResult<Option<(Team, String)>> {
    let ((record, version), members): ((Option<String>, Option<String>), Vec<String>) =
        st.ok(redis::pipe()
            .hget(st.keys.team(id), &["record", "version"])
            .lrange(st.keys.team_members(id), 0, -1)
            .query_async(&mut st.conn())
            .await)?;
    let (Some(record), Some(version)) = (record, version) else {
        return Ok(None);
    };
    let mut team: Team = parse("team", id, &record)?;
    team.members = members;
    Ok(Some((team, version)))
}

/// Writes an agent if its version is still `expected` (`None`: creates it); `false` when the
/// version moved.
async fn put_agent(st: &RedisStore, agent: &Agent, expected: Option<&str>) -> StoreResult<bool> {
    let order = match expected {
        None => st.next_listing_order().await?,
        Some(_) => 0,
    };
    let r = st
        .scripts
        .put_agent
        .arg(st.keys.prefix())
        .arg(&agent.id)
        .arg(expected.unwrap_or(""))
        .arg(json(agent)?)
        .arg(agent.external_id.as_deref().unwrap_or(""))
        .arg(order)
        .invoke_async::<String>(&mut st.conn())
        .await;
    Ok(st.ok(r)? == "ok")
}

async fn put_team(st: &RedisStore, team: &Team, expected: Option<&str>) -> StoreResult<bool> {
    let order = match expected {
        None => st.next_listing_order().await?,
        Some(_) => 0,
    };
    let mut call = st.scripts.put_team.prepare_invoke();
    call.arg(st.keys.prefix())
        .arg(&team.id)
        .arg(expected.unwrap_or(""))
        .arg(json(team)?)
        .arg(order);
    for m in &team.members {
        call.arg(m);
    }
    let r = call.invoke_async::<String>(&mut st.conn()).await;
    Ok(st.ok(r)? == "ok")
}

async fn listed(st: &RedisStore, key: String) -> StoreResult<Vec<String>> {
    st.ok(st.conn().zrange(key, 0, -1).await)
}

impl RedisStore {
    /// Runs a pipeline of `n` pairs of reads (a record, then its members) in one round trip.
    async fn read_pairs(
        &self,
        pipe: redis::Pipeline,
        n: usize,
    ) -> StoreResult<Vec<(Option<String>, Vec<String>)>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let flat: Vec<redis::Value> = self.ok(pipe.query_async(&mut self.conn()).await)?;
        let mut rows = Vec::with_capacity(n);
        let mut values = flat.into_iter();
        while let (Some(record), Some(members)) = (values.next(), values.next()) {
            let record: Option<String> = self.ok(redis::from_redis_value(&record))?;
            let members: Vec<String> = self.ok(redis::from_redis_value(&members))?;
            rows.push((record, members));
        }
        Ok(rows)
    }
}

#[async_trait]
impl Agents for RedisStore {
    async fn create_agent(&self, agent: Agent) -> StoreResult<Agent> {
        put_agent(self, &agent, None).await?;
        self.get_agent(&agent.id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_agent(&self, id: &str) -> StoreResult<Option<Agent>> {
        Ok(read_agent(self, id).await?.map(|(a, _)| a))
    }

    async fn agent_by_external_id(&self, external_id: &str) -> StoreResult<Option<Agent>> {
        let id: Option<String> = self.ok(self
            .conn()
            .get(self.keys.agent_by_external_id(external_id))
            .await)?;
        match id {
            Some(id) => self.get_agent(&id).await,
            None => Ok(None),
        }
    }

    async fn list_agents(&self) -> StoreResult<Vec<Agent>> {
        let ids = listed(self, self.keys.agents()).await?;
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hget(self.keys.agent(id), "record")
                .smembers(self.keys.agent_teams(id));
        }
        let rows: Vec<(Option<String>, Vec<String>)> = self.read_pairs(pipe, ids.len()).await?;
        let mut out = Vec::new();
        for (id, (record, mut teams)) in ids.iter().zip(rows) {
            // One deleted between the listing and the read is left out.
            let Some(record) = record else { continue };
            let mut agent: Agent = parse("agent", id, &record)?;
            teams.sort();
            agent.teams = teams;
            out.push(agent);
        }
        Ok(out)
    }

    async fn update_agent(&self, id: &str, patch: AgentPatch) -> StoreResult<Agent> {
        for _ in 0..ATTEMPTS {
            let (mut agent, version) = read_agent(self, id).await?.ok_or(StoreError::NotFound)?;
            patch.clone().apply(&mut agent, Timestamp::now());
            if put_agent(self, &agent, Some(&version)).await? {
                return self.get_agent(id).await?.ok_or(StoreError::NotFound);
            }
        }
        Err(StoreError::Busy)
    }

    async fn delete_agent(&self, id: &str) -> StoreResult<()> {
        let r = self
            .scripts
            .delete_agent
            .arg(self.keys.prefix())
            .arg(id)
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)
    }

    async fn create_team(&self, team: Team) -> StoreResult<Team> {
        put_team(self, &team, None).await?;
        self.get_team(&team.id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_team(&self, id: &str) -> StoreResult<Option<Team>> {
        Ok(read_team(self, id).await?.map(|(t, _)| t))
    }

    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        let ids = listed(self, self.keys.teams()).await?;
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hget(self.keys.team(id), "record")
                .lrange(self.keys.team_members(id), 0, -1);
        }
        let rows: Vec<(Option<String>, Vec<String>)> = self.read_pairs(pipe, ids.len()).await?;
        let mut out = Vec::new();
        for (id, (record, members)) in ids.iter().zip(rows) {
            let Some(record) = record else { continue };
            let mut team: Team = parse("team", id, &record)?;
            team.members = members;
            out.push(team);
        }
        Ok(out)
    }

    async fn update_team(&self, id: &str, patch: TeamPatch) -> StoreResult<Team> {
        for _ in 0..ATTEMPTS {
            let (mut team, version) = read_team(self, id).await?.ok_or(StoreError::NotFound)?;
            patch.clone().apply(&mut team, Timestamp::now());
            if put_team(self, &team, Some(&version)).await? {
                return self.get_team(id).await?.ok_or(StoreError::NotFound);
            }
        }
        Err(StoreError::Busy)
    }

    async fn delete_team(&self, id: &str) -> StoreResult<()> {
        let r = self
            .scripts
            .delete_team
            .arg(self.keys.prefix())
            .arg(id)
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)
    }
}

//! Agents and teams in the embedded engine: each record is its JSON, the external id a unique
//! column, team membership a table in member order. Every change runs in the one writer, so a
//! read-modify-write is atomic.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::fail::Res;
use super::EmbeddedStore;
use crate::domain::time::Timestamp;
use crate::routing::agents::{Agent, AgentPatch, Team, TeamPatch};
use crate::store::{Agents, StoreError, StoreResult};

fn json<T: serde::Serialize>(v: &T) -> Res<String> {
    Ok(serde_json::to_string(v).map_err(|e| anyhow::anyhow!(e))?)
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, id: &str, record: &str) -> Res<T> {
    Ok(serde_json::from_str(record)
        .map_err(|e| anyhow::anyhow!("{what} {id}: damaged record: {e}"))?)
}

fn teams_of(conn: &Connection, agent: &str) -> Res<Vec<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT team_id FROM team_members WHERE agent_id = ?1 ORDER BY team_id")?;
    let rows = stmt.query_map([agent], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn members_of(conn: &Connection, team: &str) -> Res<Vec<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT agent_id FROM team_members WHERE team_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([team], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn find_agent(conn: &Connection, id: &str) -> Res<Option<Agent>> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM agents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(record) = record else {
        return Ok(None);
    };
    let mut agent: Agent = parse("agent", id, &record)?;
    agent.teams = teams_of(conn, id)?;
    Ok(Some(agent))
}

fn find_team(conn: &Connection, id: &str) -> Res<Option<Team>> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM teams WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(record) = record else {
        return Ok(None);
    };
    let mut team: Team = parse("team", id, &record)?;
    team.members = members_of(conn, id)?;
    Ok(Some(team))
}

fn ids(conn: &Connection, table: &str) -> Res<Vec<String>> {
    let sql = format!("SELECT id FROM {table} ORDER BY created_ms, rowid");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Refuses an external id another agent has.
fn external_id_free(conn: &Connection, agent: &Agent) -> Res<()> {
    let Some(ext) = &agent.external_id else {
        return Ok(());
    };
    let owner: Option<String> = conn
        .prepare_cached("SELECT id FROM agents WHERE external_id = ?1")?
        .query_row([ext], |r| r.get(0))
        .optional()?;
    match owner {
        Some(owner) if owner != agent.id => Err(StoreError::Taken("external_id").into()),
        _ => Ok(()),
    }
}

fn write_agent(conn: &Connection, agent: &Agent, insert: bool) -> Res<()> {
    external_id_free(conn, agent)?;
    let record = json(agent)?;
    if insert {
        conn.execute(
            "INSERT INTO agents (id, external_id, record, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![
                agent.id,
                agent.external_id,
                record,
                agent.created_at.millis()
            ],
        )?;
    } else {
        conn.execute(
            "UPDATE agents SET external_id = ?2, record = ?3 WHERE id = ?1",
            params![agent.id, agent.external_id, record],
        )?;
    }
    Ok(())
}

fn set_members(conn: &Connection, team: &str, members: &[String]) -> Res<()> {
    for m in members {
        let known: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1)")?
            .query_row([m], |r| r.get(0))?;
        if !known {
            return Err(StoreError::UnknownAgent(m.clone()).into());
        }
    }
    conn.execute("DELETE FROM team_members WHERE team_id = ?1", [team])?;
    for (position, m) in members.iter().enumerate() {
        conn.execute(
            "INSERT INTO team_members (team_id, agent_id, position) VALUES (?1, ?2, ?3)",
            params![team, m, position as i64],
        )?;
    }
    Ok(())
}

fn write_team(conn: &Connection, team: &Team, insert: bool) -> Res<()> {
    let record = json(team)?;
    if insert {
        conn.execute(
            "INSERT INTO teams (id, record, created_ms) VALUES (?1, ?2, ?3)",
            params![team.id, record, team.created_at.millis()],
        )?;
    } else {
        conn.execute(
            "UPDATE teams SET record = ?2 WHERE id = ?1",
            params![team.id, record],
        )?;
    }
    set_members(conn, &team.id, &team.members)
}

#[async_trait]
impl Agents for EmbeddedStore {
    async fn create_agent(&self, agent: Agent) -> StoreResult<Agent> {
        self.write(move |ctx, _| {
            write_agent(&ctx.conn, &agent, true)?;
            Ok(find_agent(&ctx.conn, &agent.id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn get_agent(&self, id: &str) -> StoreResult<Option<Agent>> {
        let id = id.to_string();
        self.read(move |conn, _| find_agent(conn, &id)).await
    }

    async fn agent_by_external_id(&self, external_id: &str) -> StoreResult<Option<Agent>> {
        let ext = external_id.to_string();
        self.read(move |conn, _| {
            let id: Option<String> = conn
                .prepare_cached("SELECT id FROM agents WHERE external_id = ?1")?
                .query_row([ext], |r| r.get(0))
                .optional()?;
            match id {
                Some(id) => find_agent(conn, &id),
                None => Ok(None),
            }
        })
        .await
    }

    async fn list_agents(&self) -> StoreResult<Vec<Agent>> {
        self.read(|conn, _| {
            ids(conn, "agents")?
                .iter()
                .filter_map(|id| find_agent(conn, id).transpose())
                .collect()
        })
        .await
    }

    async fn update_agent(&self, id: &str, patch: AgentPatch) -> StoreResult<Agent> {
        let id = id.to_string();
        self.write(move |ctx, _| {
            let mut agent = find_agent(&ctx.conn, &id)?.ok_or(StoreError::NotFound)?;
            patch.apply(&mut agent, Timestamp::now());
            write_agent(&ctx.conn, &agent, false)?;
            Ok(find_agent(&ctx.conn, &id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn delete_agent(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| {
            if ctx
                .conn
                .execute("DELETE FROM agents WHERE id = ?1", [&id])?
                == 0
            {
                return Err(StoreError::NotFound.into());
            }
            ctx.conn
                .execute("DELETE FROM team_members WHERE agent_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }

    async fn create_team(&self, team: Team) -> StoreResult<Team> {
        self.write(move |ctx, _| {
            write_team(&ctx.conn, &team, true)?;
            Ok(find_team(&ctx.conn, &team.id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn get_team(&self, id: &str) -> StoreResult<Option<Team>> {
        let id = id.to_string();
        self.read(move |conn, _| find_team(conn, &id)).await
    }

    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        self.read(|conn, _| {
            ids(conn, "teams")?
                .iter()
                .filter_map(|id| find_team(conn, id).transpose())
                .collect()
        })
        .await
    }

    async fn update_team(&self, id: &str, patch: TeamPatch) -> StoreResult<Team> {
        let id = id.to_string();
        self.write(move |ctx, _| {
            let mut team = find_team(&ctx.conn, &id)?.ok_or(StoreError::NotFound)?;
            patch.apply(&mut team, Timestamp::now());
            write_team(&ctx.conn, &team, false)?;
            Ok(find_team(&ctx.conn, &id)?.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn delete_team(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |ctx, _| {
            if ctx.conn.execute("DELETE FROM teams WHERE id = ?1", [&id])? == 0 {
                return Err(StoreError::NotFound.into());
            }
            ctx.conn
                .execute("DELETE FROM team_members WHERE team_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }
}

//! The Agents role of the store contract: agents and teams (records in `crate::routing::agents`).

use crate::routing::agents::{Agent, AgentPatch, Team, TeamPatch};
use crate::store::*;
use async_trait::async_trait;

/// Agents and the teams they are in. Every change is atomic: an external id is never given to
/// two agents (`Taken`), a team never lists an agent that does not exist (`UnknownAgent`), and
/// deleting an agent takes them out of every team at once. Agents and teams are listed in
/// creation order; an agent's `teams` and a team's `members` are filled in when read (teams by
/// id, members in the order set).
#[async_trait]
pub trait Agents: Send + Sync {
    async fn create_agent(&self, agent: Agent) -> StoreResult<Agent>;
    async fn get_agent(&self, id: &str) -> StoreResult<Option<Agent>>;
    async fn agent_by_external_id(&self, external_id: &str) -> StoreResult<Option<Agent>>;
    async fn list_agents(&self) -> StoreResult<Vec<Agent>>;
    async fn update_agent(&self, id: &str, patch: AgentPatch) -> StoreResult<Agent>;
    async fn delete_agent(&self, id: &str) -> StoreResult<()>;
    async fn create_team(&self, team: Team) -> StoreResult<Team>;
    async fn get_team(&self, id: &str) -> StoreResult<Option<Team>>;
    async fn list_teams(&self) -> StoreResult<Vec<Team>>;
    async fn update_team(&self, id: &str, patch: TeamPatch) -> StoreResult<Team>;
    async fn delete_team(&self, id: &str) -> StoreResult<()>;
}

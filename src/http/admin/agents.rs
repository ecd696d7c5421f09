//! `/v1/agents`: the people conversations are offered to, their capacity, their availability
//! (`online`, `away`, `offline`, set through the API) and their working hours.

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::agent_views::{self as fields, present, AgentList, AgentView};
use crate::domain::time::Timestamp;
use crate::error::{Code, Problem};
use crate::http::middleware::auth::Admin;
use crate::http::{json, ApiError, ApiResult, AppState};
use crate::routing::agents::{Agent, AgentPatch, Status, DEFAULT_CAPACITY};
use crate::routing::hours::WorkingHours;
use crate::store::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(availability)
        .service(remove);
}

/// A new agent. Only `name` is required.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    #[schema(min_length = 1, max_length = 200, example = "Kim Minji")]
    name: String,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "minji@example.com")]
    email: Value,
    /// The agent's id in their helpdesk (e.g. a Chatwoot user id); unique among agents.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "42")]
    external_id: Value,
    /// 1 to 1000 conversations at once (default 10).
    #[serde(default)]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    capacity: Option<Value>,
    /// `online`, `away` or `offline` (the default).
    #[schema(value_type = Option<Status>)]
    status: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<WorkingHours>)]
    working_hours: Value,
}

/// Fields to change; absent ones stay, `null` clears `email`, `external_id` or `working_hours`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AgentUpdate {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    email: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    external_id: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    capacity: Option<Value>,
    #[schema(value_type = Option<Status>)]
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<WorkingHours>)]
    working_hours: Option<Value>,
}

/// The agent's own status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AvailabilityChange {
    #[schema(value_type = Status)]
    status: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AgentQuery {
    /// Only the members of this team.
    team: Option<String>,
    /// Only agents with this status: `online`, `away` or `offline`.
    status: Option<String>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// A store refusal of an agent's write: a taken external id names the agent that has it.
async fn write_error(state: &AppState, external_id: Option<&str>, e: StoreError) -> ApiError {
    match (e, external_id) {
        (StoreError::Taken(field), Some(ext)) => {
            let owner = state.store.agent_by_external_id(ext).await.ok().flatten();
            let e = ApiError::from(StoreError::Taken(field));
            match owner {
                Some(owner) => e.with("agent", owner.id),
                None => e,
            }
        }
        (StoreError::NotFound, _) => ApiError::not_found("agent"),
        (other, _) => other.into(),
    }
}

/// Register an agent
#[utoipa::path(
    tag = "routing",
    operation_id = "createAgent",
    request_body = NewAgent,
    responses(
        (status = 201, description = "Registered", body = AgentView),
        (status = 409, description = "`external_id_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_name`, `invalid_email`, `invalid_external_id`, `invalid_capacity`, `invalid_status`, `invalid_working_hours`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/agents")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewAgent>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let now = Timestamp::now();
    let agent = Agent {
        id: crate::ids::agent_id(),
        name: fields::name(&body.name)?,
        email: fields::email(&body.email)?,
        external_id: fields::external_id(&body.external_id)?,
        capacity: match &body.capacity {
            None | Some(Value::Null) => DEFAULT_CAPACITY,
            Some(v) => fields::capacity(v)?,
        },
        status: match &body.status {
            Some(s) => fields::status(s)?,
            None => Status::Offline,
        },
        status_changed_at: now,
        working_hours: fields::working_hours(&body.working_hours)?,
        teams: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let ext = agent.external_id.clone();
    let agent = match state.store.create_agent(agent).await {
        Ok(a) => a,
        Err(e) => return Err(write_error(&state, ext.as_deref(), e).await),
    };
    Ok(json(StatusCode::CREATED, AgentView::new(agent, now)))
}

/// List agents
#[utoipa::path(
    tag = "routing",
    operation_id = "listAgents",
    params(AgentQuery),
    responses(
        (status = 200, description = "Agents, oldest first", body = AgentList),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_team`, `invalid_status`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[get("/v1/agents")]
async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<AgentQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let limit = super::events::limit(query.limit)?;
    let status = query.status.as_deref().map(fields::status).transpose()?;
    let team = match query.team.filter(|t| !t.is_empty()) {
        Some(id) => Some(state.store.get_team(&id).await?.ok_or_else(|| {
            ApiError::new(Code::UnknownTeam, format!("no team {id}")).with("field", "team")
        })?),
        None => None,
    };
    let after = query.after.filter(|a| !a.is_empty());
    let (items, next) = fields::page(
        state.store.list_agents().await?,
        |a| &a.id,
        after,
        limit,
        |a| {
            status.map_or(true, |s| a.status == s)
                && team.as_ref().map_or(true, |t| t.members.contains(&a.id))
        },
    )?;
    let now = Timestamp::now();
    let items = items.into_iter().map(|a| AgentView::new(a, now)).collect();
    Ok(json(StatusCode::OK, AgentList { items, next }))
}

/// Show an agent
#[utoipa::path(
    tag = "routing",
    operation_id = "getAgent",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent", body = AgentView)),
    security(("admin" = []))
)]
#[get("/v1/agents/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let agent = state
        .store
        .get_agent(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))?;
    Ok(json(
        StatusCode::OK,
        AgentView::new(agent, Timestamp::now()),
    ))
}

/// Change an agent
#[utoipa::path(
    tag = "routing",
    operation_id = "updateAgent",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = AgentUpdate,
    responses(
        (status = 200, description = "The agent as changed", body = AgentView),
        (status = 409, description = "`external_id_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_name`, `invalid_email`, `invalid_external_id`, `invalid_capacity`, `invalid_status`, `invalid_working_hours`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[patch("/v1/agents/{id}")]
async fn update(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AgentUpdate>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let patch = AgentPatch {
        name: body.name.as_deref().map(fields::name).transpose()?,
        email: body.email.as_ref().map(fields::email).transpose()?,
        external_id: body
            .external_id
            .as_ref()
            .map(fields::external_id)
            .transpose()?,
        capacity: match &body.capacity {
            None => None,
            Some(v) => Some(fields::capacity(v)?),
        },
        status: body.status.as_deref().map(fields::status).transpose()?,
        working_hours: body
            .working_hours
            .as_ref()
            .map(fields::working_hours)
            .transpose()?,
    };
    let ext = patch.external_id.clone().flatten();
    match state.store.update_agent(&id, patch).await {
        Ok(agent) => Ok(json(
            StatusCode::OK,
            AgentView::new(agent, Timestamp::now()),
        )),
        Err(e) => Err(write_error(&state, ext.as_deref(), e).await),
    }
}

/// Set an agent's availability
#[utoipa::path(
    tag = "routing",
    operation_id = "setAgentAvailability",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = AvailabilityChange,
    responses(
        (status = 200, description = "The agent with its new status (`available` also depends on the working hours)", body = AgentView),
        (status = 422, description = "`invalid_status`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[put("/v1/agents/{id}/availability")]
async fn availability(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AvailabilityChange>,
) -> ApiResult<HttpResponse> {
    let patch = AgentPatch {
        status: Some(fields::status(&body.status)?),
        ..Default::default()
    };
    let agent = state
        .store
        .update_agent(&id, patch)
        .await
        .map_err(ApiError::store("agent"))?;
    Ok(json(
        StatusCode::OK,
        AgentView::new(agent, Timestamp::now()),
    ))
}

/// Delete an agent
#[utoipa::path(
    tag = "routing",
    operation_id = "deleteAgent",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 204, description = "Deleted, and taken out of every team")),
    security(("admin" = []))
)]
#[delete("/v1/agents/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .store
        .delete_agent(&id)
        .await
        .map_err(ApiError::store("agent"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(create, list, show, update, availability, remove))]
pub(crate) struct Doc;

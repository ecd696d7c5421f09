//! `/v1/teams`: named, ordered groups of agents (a routing policy can offer to a team).

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use super::agent_views::{self as fields, TeamList, TeamView};
use super::paging::PageQuery;
use crate::domain::time::Timestamp;
use crate::error::Problem;
use crate::http::middleware::auth::Admin;
use crate::http::{json, ApiError, ApiResult, AppState};
use crate::routing::agents::{Team, TeamPatch};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(remove);
}

/// A new team.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    #[schema(min_length = 1, max_length = 200, example = "Sales")]
    name: String,
    /// Agent ids, in order (each kept once; at most 1000).
    #[serde(default)]
    members: Vec<String>,
}

/// Fields to change; absent ones stay. `members` replaces the whole list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamUpdate {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    members: Option<Vec<String>>,
}

/// Create a team
#[utoipa::path(
    tag = "routing",
    operation_id = "createTeam",
    request_body = NewTeam,
    responses(
        (status = 201, description = "Created", body = TeamView),
        (status = 422, description = "`invalid_name`, `unknown_agent` (`agent` names it), `invalid_members`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[post("/v1/teams")]
async fn create(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewTeam>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let now = Timestamp::now();
    let team = Team {
        id: crate::ids::team_id(),
        name: fields::name(&body.name)?,
        members: fields::members(body.members)?,
        created_at: now,
        updated_at: now,
    };
    let team = state.store.create_team(team).await?;
    Ok(json(StatusCode::CREATED, TeamView::from(team)))
}

/// List teams
#[utoipa::path(
    tag = "routing",
    operation_id = "listTeams",
    params(PageQuery),
    responses(
        (status = 200, description = "Teams, oldest first", body = TeamList),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[get("/v1/teams")]
async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let limit = query.limit()?;
    let (items, next) = fields::page(
        state.store.list_teams().await?,
        |t| &t.id,
        query.after(),
        limit,
        |_| true,
    )?;
    let items = items.into_iter().map(TeamView::from).collect();
    Ok(json(StatusCode::OK, TeamList { items, next }))
}

/// Show a team
#[utoipa::path(
    tag = "routing",
    operation_id = "getTeam",
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = TeamView)),
    security(("admin" = []))
)]
#[get("/v1/teams/{id}")]
async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let team = state
        .store
        .get_team(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("team"))?;
    Ok(json(StatusCode::OK, TeamView::from(team)))
}

/// Change a team
#[utoipa::path(
    tag = "routing",
    operation_id = "updateTeam",
    params(("id" = String, Path, description = "The team's id")),
    request_body = TeamUpdate,
    responses(
        (status = 200, description = "The team as changed", body = TeamView),
        (status = 422, description = "`invalid_name`, `unknown_agent` (`agent` names it), `invalid_members`, `invalid_body`", body = Problem, content_type = "application/problem+json")
    ),
    security(("admin" = []))
)]
#[patch("/v1/teams/{id}")]
async fn update(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<TeamUpdate>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let patch = TeamPatch {
        name: body.name.as_deref().map(fields::name).transpose()?,
        members: body.members.map(fields::members).transpose()?,
    };
    let team = state
        .store
        .update_team(&id, patch)
        .await
        .map_err(ApiError::store("team"))?;
    Ok(json(StatusCode::OK, TeamView::from(team)))
}

/// Delete a team
#[utoipa::path(
    tag = "routing",
    operation_id = "deleteTeam",
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 204, description = "Deleted; its members stay agents")),
    security(("admin" = []))
)]
#[delete("/v1/teams/{id}")]
async fn remove(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .store
        .delete_team(&id)
        .await
        .map_err(ApiError::store("team"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(create, list, show, update, remove))]
pub(crate) struct Doc;

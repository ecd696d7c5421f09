//! Bearer-token authentication of the admin API. Tokens are looked up by their SHA-256 hash in
//! the store, the configured `admin.token` too (it is listed there, so it can be retired).

use std::future::Future;
use std::pin::Pin;

use crate::crypto::token_hash;
use crate::error::Code;
use crate::http::{ApiError, AppState};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

pub const ROLE_ADMIN: &str = "admin";
/// The role a retired configured token keeps in the store, so a restart does not bring it back.
pub const ROLE_RETIRED: &str = "retired";
/// How the configured `admin.token` is labelled in `/v1/tokens` (followed by a short
/// fingerprint of its hash, so a changed configuration is told apart from the old one).
pub const CONFIGURED_LABEL: &str = "admin.token (configuration)";

/// The configured admin token, by hash.
#[derive(Debug, Clone, Default)]
pub struct AdminTokens {
    pub configured_hash: Option<String>,
}

/// The label the configured token with this hash is listed under.
pub fn configured_label(hash: &str) -> String {
    format!("{CONFIGURED_LABEL} {}", hash.get(..8).unwrap_or(hash))
}

/// An authenticated admin caller.
#[derive(Debug, Clone)]
pub struct Admin {
    pub actor: String,
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(Code::Unauthorized, detail)
}

pub const ROLE_HELPDESK: &str = "helpdesk";

/// A caller allowed to relay replies and read events: a helpdesk token or an admin token.
#[derive(Debug, Clone)]
pub struct Relayer {
    pub role: String,
}

type Resolved = Pin<Box<dyn Future<Output = Result<String, ApiError>>>>;

/// A caller's role, resolved by the guard middleware before the handler runs.
#[derive(Debug, Clone)]
pub struct Authenticated(pub String);

/// The bearer token of a request.
pub fn bearer(headers: &actix_web::http::header::HeaderMap) -> Result<String, ApiError> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("send the token as Authorization: Bearer <token>"))?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| unauthorized("the Authorization header must be \"Bearer <token>\""))
}

/// The role of a token: the bootstrap admin token, or one minted through `/v1/tokens`.
pub async fn resolve(
    state: &AppState,
    token: Result<String, ApiError>,
) -> Result<String, ApiError> {
    resolve_hash(state, &token_hash(&token?)).await
}

/// The role of the token with this hash (a console session keeps only the hash).
pub async fn resolve_hash(state: &AppState, hash: &str) -> Result<String, ApiError> {
    match state.store.token_role(hash).await {
        Ok(Some(role)) if role != ROLE_RETIRED => Ok(role),
        Ok(_) => Err(unauthorized("the token is not valid")),
        Err(e) => Err(e.into()),
    }
}

/// Resolves the bearer token to its role (already done by the guard for `/v1` routes).
fn authenticate(req: &HttpRequest) -> Resolved {
    if let Some(Authenticated(role)) = req.extensions().get::<Authenticated>().cloned() {
        return Box::pin(async move { Ok(role) });
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer(req.headers());
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
        resolve(&state, token).await
    })
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::new(Code::Forbidden, detail)
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = authenticate(req);
        Box::pin(async move {
            match auth.await?.as_str() {
                ROLE_ADMIN => Ok(Admin {
                    actor: "admin".into(),
                }),
                _ => Err(forbidden("this token may not use the admin API")),
            }
        })
    }
}

impl FromRequest for Relayer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Relayer, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = authenticate(req);
        Box::pin(async move {
            let role = auth.await?;
            if role == ROLE_ADMIN || role == ROLE_HELPDESK {
                Ok(Relayer { role })
            } else {
                Err(forbidden("this token may not relay replies"))
            }
        })
    }
}

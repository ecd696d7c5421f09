//! Signing in (an API token exchanged for a session cookie) and out.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::page::{render, viewer, Layout};
use crate::console::session::{check_change, same_origin};
use crate::crypto::token_hash;
use crate::http::middleware::auth::{resolve_hash, ROLE_ADMIN, ROLE_HELPDESK};
use crate::http::{ApiResult, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_form).service(submit).service(sign_out);
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    l: Layout,
    next: String,
    /// Why the token was refused, shown next to its field.
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Form {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Where to go once signed in: a console page, never another site.
fn local_next(next: &str) -> String {
    let safe = next.starts_with("/console") && !next.contains("//") && !next.contains('\\');
    if safe { next } else { "/console" }.to_string()
}

fn page(req: &HttpRequest, next: &str, error: Option<String>, status: StatusCode) -> HttpResponse {
    let l = Layout::new(req, None, "sign-in", "signin.title");
    let page = SignIn {
        next: local_next(next),
        error,
        l,
    };
    render(&page.l, &page, status)
}

#[get("/console/sign-in")]
async fn show_form(req: HttpRequest, q: web::Query<Vec<(String, String)>>) -> HttpResponse {
    let next = q
        .iter()
        .find(|(k, _)| k == "next")
        .map_or("/console", |(_, v)| v.as_str());
    page(&req, next, None, StatusCode::OK)
}

#[post("/console/sign-in")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    same_origin(&req)?;
    let form: Form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (lang, _) = crate::console::i18n::Lang::of(&req);
    let source = crate::ingress::source_ip(
        req.headers(),
        req.peer_addr().map(|a| a.ip()),
        state.settings.server.trust_forwarded_for,
    );
    if let Some(ip) = source {
        if let Err(e) = state.limits.authentication_allowed(ip) {
            return Ok(page(
                &req,
                &form.next,
                Some(e.detail),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    }
    let hash = token_hash(form.token.trim());
    let role = match resolve_hash(&state, &hash).await {
        Ok(role) => role,
        Err(e) if e.code == crate::error::Code::Unauthorized => {
            if let Some(ip) = source {
                if let Err(e) = state.limits.authentication_failed(ip) {
                    let status = StatusCode::TOO_MANY_REQUESTS;
                    return Ok(page(&req, &form.next, Some(e.detail), status));
                }
            }
            let why = lang.t("signin.invalid").to_string();
            return Ok(page(&req, &form.next, Some(why), StatusCode::UNAUTHORIZED));
        }
        Err(e) => return Err(e),
    };
    if role != ROLE_ADMIN && role != ROLE_HELPDESK {
        let why = lang.t("signin.role").to_string();
        return Ok(page(&req, &form.next, Some(why), StatusCode::FORBIDDEN));
    }
    let session = state.sessions.open_for(hash);
    Ok(HttpResponse::SeeOther()
        .cookie(state.sessions.cookie(&req, Some(&session)))
        .insert_header((header::LOCATION, local_next(&form.next)))
        .finish())
}

#[post("/console/sign-out")]
async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let form: Form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Ok(viewer) = viewer(&req, &state).await {
        check_change(&req, &viewer.session, Some(&form.csrf))?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(state.sessions.cookie(&req, None))
        .insert_header((header::LOCATION, "/console/sign-in"))
        .finish())
}

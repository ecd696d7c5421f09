//! What every console page shares: the signed-in viewer, the layout (language, navigation,
//! CSRF token) and the answer (HTML with a strict Content-Security-Policy).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::Lang;
use super::session::Session;
use crate::http::middleware::auth::{resolve_hash, ROLE_ADMIN, ROLE_HELPDESK};
use crate::http::AppState;

/// Scripts and styles come from the gateway only; nothing inline, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A signed-in operator.
pub struct Viewer {
    pub session: Session,
    pub role: String,
}

/// The viewer of a page, or the answer that sends them to sign in.
pub async fn viewer(req: &HttpRequest, state: &AppState) -> Result<Viewer, HttpResponse> {
    let to_sign_in = || {
        let next = req
            .uri()
            .path_and_query()
            .map_or("/console", |p| p.as_str());
        HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/console/sign-in?{}", query(&[("next", next)])),
            ))
            .finish()
    };
    let Some(session) = state.sessions.read(req) else {
        return Err(to_sign_in());
    };
    match resolve_hash(state, &session.token_hash).await {
        Ok(role) if role == ROLE_ADMIN || role == ROLE_HELPDESK => Ok(Viewer { session, role }),
        _ => Err(to_sign_in()),
    }
}

/// A URL query of `pairs`, percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// One entry of the language switcher.
pub struct Switch {
    pub lang: Lang,
    pub href: String,
    pub current: bool,
}

/// The frame around every page.
pub struct Layout {
    pub lang: Lang,
    pub title: &'static str,
    /// The navigation entry of this page (`events`, ...).
    pub section: &'static str,
    pub csrf: Option<String>,
    pub signed_in: bool,
    /// The role of the token the viewer signed in with.
    pub role: String,
    pub switches: Vec<Switch>,
    remember_lang: bool,
}

impl Layout {
    pub fn new(
        req: &HttpRequest,
        viewer: Option<&Viewer>,
        section: &'static str,
        title_key: &str,
    ) -> Layout {
        let (lang, remember_lang) = Lang::of(req);
        let query: Vec<(String, String)> =
            web::Query::<Vec<(String, String)>>::from_query(req.query_string())
                .map(|q| q.into_inner())
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "lang")
                .collect();
        let switches = Lang::ALL
            .into_iter()
            .map(|l| {
                let mut pairs: Vec<(&str, &str)> = query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                pairs.push(("lang", l.code()));
                Switch {
                    lang: l,
                    href: format!("{}?{}", req.path(), self::query(&pairs)),
                    current: l == lang,
                }
            })
            .collect();
        Layout {
            lang,
            title: lang.t(title_key),
            section,
            csrf: viewer.map(|v| v.session.csrf.clone()),
            signed_in: viewer.is_some(),
            role: viewer.map(|v| v.role.clone()).unwrap_or_default(),
            switches,
            remember_lang,
        }
    }

    /// The message under `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

/// The page as HTML, with the headers every console page carries.
pub fn render(layout: &Layout, page: &impl Template, status: StatusCode) -> HttpResponse {
    let html = match page.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a console page failed to render");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let mut answer = HttpResponse::build(status);
    answer
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"));
    if layout.remember_lang {
        answer.cookie(layout.lang.cookie());
    }
    answer.body(html)
}

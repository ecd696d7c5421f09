//! Console sessions: an API token is exchanged once for a session cookie, and the token itself
//! is never kept (not in the cookie, not in the browser's storage). The cookie holds the
//! token's hash, a CSRF secret and an expiry, sealed (encrypted and authenticated) under a key
//! derived from the master key, so every replica sharing that key reads it and nobody can forge
//! or read one. Each request resolves the hash to the token's role again, so a retired token
//! ends its sessions at once and a session has exactly its token's rights.
//!
//! A change made with a session (any method but GET and HEAD) must carry the page's CSRF token
//! in `X-CSRF-Token` (or the form field `csrf`) and, when the browser names its origin, come
//! from this gateway's own origin. The cookie is `HttpOnly`, `SameSite=Strict`, and `Secure`
//! when the console is reached over HTTPS.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::crypto::Cipher;
use crate::domain::time::Timestamp;
use crate::error::Code;
use crate::http::{ApiError, AppState};

pub const COOKIE: &str = "omnigate_session";
/// The header a console page sends its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a session cookie holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The SHA-256 hash of the token it was opened with.
    #[serde(rename = "h")]
    pub token_hash: String,
    /// The CSRF secret the console's pages send back with every change.
    #[serde(rename = "c")]
    pub csrf: String,
    /// Unix time (seconds) after which the cookie is refused.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// Seals and opens session cookies.
#[derive(Clone, Debug)]
pub struct Sessions {
    cipher: Cipher,
    ttl: std::time::Duration,
}

impl Sessions {
    pub fn new(master: &Cipher, ttl: std::time::Duration) -> Sessions {
        Sessions {
            cipher: master.derived("console session"),
            ttl,
        }
    }

    /// A new session for the token with this hash.
    pub fn open_for(&self, token_hash: String) -> Session {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        Session {
            token_hash,
            csrf: crate::ids::random_token(32),
            expires: now_secs().saturating_add(ttl),
        }
    }

    /// The cookie that carries `session` (or clears it, for `None`).
    pub fn cookie(&self, req: &HttpRequest, session: Option<&Session>) -> Cookie<'static> {
        let value = session
            .and_then(|s| serde_json::to_vec(s).ok())
            .and_then(|json| self.cipher.seal(&json).ok())
            .map(|sealed| URL_SAFE_NO_PAD.encode(sealed))
            .unwrap_or_default();
        let mut cookie = Cookie::build(COOKIE, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(over_https(req))
            .finish();
        match session {
            Some(_) => cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
                i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX),
            )),
            None => cookie.make_removal(),
        }
        cookie
    }

    /// The request's session, if its cookie is one this gateway sealed and it has not expired.
    pub fn read(&self, req: &HttpRequest) -> Option<Session> {
        let value = req.cookie(COOKIE)?;
        let sealed = URL_SAFE_NO_PAD.decode(value.value()).ok()?;
        let json = self.cipher.open(&sealed).ok()?;
        let session: Session = serde_json::from_slice(&json).ok()?;
        (session.expires > now_secs()).then_some(session)
    }
}

fn now_secs() -> i64 {
    Timestamp::now().millis() / 1000
}

/// Whether the browser reached the console over HTTPS (directly, or through a proxy that says
/// so), or the gateway's public URL is HTTPS.
fn over_https(req: &HttpRequest) -> bool {
    let state = req.app_data::<actix_web::web::Data<AppState>>();
    let public_https = state.is_some_and(|s| s.settings.server.public_url.starts_with("https://"));
    public_https || req.connection_info().scheme() == "https"
}

/// Whether the request changes something (CSRF rules apply).
pub fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// Refuses a change made with `session` that lacks its CSRF token or comes from another
/// origin. `form_token` is the `csrf` field of a submitted form, if any.
pub fn check_change(
    req: &HttpRequest,
    session: &Session,
    form_token: Option<&str>,
) -> Result<(), ApiError> {
    same_origin(req)?;
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form_token)
        .unwrap_or_default();
    if sent.as_bytes().ct_eq(session.csrf.as_bytes()).into() && !sent.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        Code::CsrfRejected,
        "this change came without the console page's CSRF token; reload the page and try again",
    ))
}

/// Refuses a request whose `Origin` (sent by browsers with every POST) is not this gateway's.
pub fn same_origin(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get("origin") else {
        return Ok(());
    };
    let host = req.connection_info().host().to_ascii_lowercase();
    let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    if origin_host == Some(host.as_str()) {
        return Ok(());
    }
    Err(ApiError::new(
        Code::CsrfRejected,
        "this change came from another site's page; the console only takes changes from its own pages",
    ))
}

//! The web console, served by the gateway itself under `/console`: server-rendered pages
//! (askama templates compiled into the binary) with a small hand-written script and style
//! sheet, also compiled in, so `omnigate serve` is all it takes. Pages read through the same
//! store calls and views as the admin API; forms and the live view call the admin API itself
//! with the session cookie, so every rule of the API (roles, validation, problems) is the
//! console's too.

mod assets;
pub mod i18n;
mod page;
mod pages;
pub mod session;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(assets::configure).configure(pages::configure);
}

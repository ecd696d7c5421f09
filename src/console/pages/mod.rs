//! The console's pages, one file each.

pub mod events;
pub mod sign_in;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .configure(sign_in::configure)
        .configure(events::configure);
}

/// `/console`: the first page.
#[get("/console")]
async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/events"))
        .finish()
}

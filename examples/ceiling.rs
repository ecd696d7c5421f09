//! The HTTP ceiling for benchmarks: a bare actix-web server that reads a POST body and answers
//! 200 with nothing else, on the same framework and worker count as the gateway.
//! `cargo run --release --example ceiling -- 18181`

use actix_web::{web, App, HttpResponse, HttpServer};

async fn ack(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18181);
    HttpServer::new(|| App::new().route("/hooks/{key}", web::post().to(ack)))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

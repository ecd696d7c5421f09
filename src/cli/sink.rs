//! `omnigate sink`: a local helpdesk to try the gateway against. It verifies each delivery's
//! Standard Webhooks signature with a destination's secret (the `standardwebhooks` crate, as a
//! real helpdesk would), prints the events it accepts, and refuses the rest with 401.

use std::io::Write;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clap::Args;

use super::ExitCode;

#[derive(Args, Debug)]
pub struct SinkArgs {
    /// The destination's signing secret (`whsec_...`), shown when the destination was created.
    #[arg(long, env = "OMNIGATE_SINK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Where to listen; the destination's URL is `http://<this>/` (any path).
    #[arg(long, default_value = "127.0.0.1:9009")]
    pub listen: String,
    /// The status answered to a verified delivery (500 or 410 to see retries, dead letters
    /// and a disabled destination).
    #[arg(long, default_value_t = 200)]
    pub answer: u16,
}

struct Sink {
    verifier: standardwebhooks::Webhook,
    answer: StatusCode,
}

async fn receive(sink: web::Data<Sink>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    if let Err(e) = sink.verifier.verify(&body, &headers) {
        eprintln!("refused {id}: the signature does not verify ({e})");
        return HttpResponse::Unauthorized().body("signature does not verify");
    }
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let kind = event["type"].as_str().unwrap_or("-");
    let pretty = serde_json::to_string_pretty(&event).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "verified {kind} {id}\n{pretty}");
    let _ = out.flush();
    HttpResponse::build(sink.answer).finish()
}

/// Serves until interrupted.
pub fn run(args: SinkArgs) -> ExitCode {
    let verifier = match standardwebhooks::Webhook::new(args.secret.trim()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("omnigate: --secret is not a whsec_ signing secret: {e}");
            return ExitCode::Usage;
        }
    };
    let Ok(answer) = StatusCode::from_u16(args.answer) else {
        eprintln!("omnigate: --answer {} is not an HTTP status", args.answer);
        return ExitCode::Usage;
    };
    let sink = web::Data::new(Sink { verifier, answer });
    let listen = args.listen.clone();
    let served = actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(sink.clone())
                .default_service(web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind(&listen)?;
        println!("omnigate sink: listening on http://{listen}/ (verifying with the given secret)");
        server.run().await
    });
    match served {
        Ok(()) => ExitCode::Ok,
        Err(e) => {
            eprintln!("omnigate: sink on {}: {e}", args.listen);
            ExitCode::Unavailable
        }
    }
}

//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated from the handlers'
//! `#[utoipa::path]` annotations and the request and answer types, so it cannot drift from the
//! code. Each HTTP module lists its own routes in a `Doc`; this one merges them.

use std::sync::OnceLock;

use actix_web::{get, web, HttpResponse};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "omnigate",
        description = "Omnichannel connector gateway: provider webhooks in (`/hooks`), signed \
            helpdesk webhooks out, replies relayed through provider APIs, and the admin API \
            (`/v1`). Errors are `application/problem+json` with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(openapi_json),
    modifiers(&BearerTokens),
    tags(
        (name = "channels", description = "Provider accounts and their approval"),
        (name = "destinations", description = "Helpdesk endpoints, and replays to them"),
        (name = "events", description = "Stored events, as the helpdesk receives them"),
        (name = "deliveries", description = "What was sent where; dead letters and retries"),
        (name = "relay", description = "Helpdesk replies to the visitor"),
        (name = "tokens", description = "API tokens"),
        (name = "webhooks", description = "Provider webhooks in (no bearer token: the key in the URL and the provider's signature)"),
        (name = "helpdesks", description = "Callbacks from helpdesks (signed by the helpdesk)"),
        (name = "operations", description = "Probes, metrics and this document")
    )
)]
struct Root;

/// The admin token administers; a helpdesk token may only relay replies.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("admin", "An admin token (`ogt_...`): the whole API"),
            (
                "helpdesk",
                "A helpdesk token (`ogt_...`): relaying replies only",
            ),
        ] {
            let mut scheme = Http::new(HttpAuthScheme::Bearer);
            scheme.description = Some(what.to_string());
            components.add_security_scheme(name, SecurityScheme::Http(scheme));
        }
    }
}

/// What the guard middleware answers before any handler (`super::middleware::guard`): 429 on the
/// webhook and API routes, 431 everywhere. Added to every operation that already documents a
/// problem answer, in the same shape.
struct FloodControl;

impl Modify for FloodControl {
    fn modify(&self, doc: &mut Document) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let limited = path.starts_with("/hooks/") || path.starts_with("/v1/");
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let responses = &mut op.responses.responses;
                let problem = responses.iter().find_map(|(status, r)| match r {
                    utoipa::openapi::RefOr::T(r) if status.starts_with('4') => Some(r.clone()),
                    _ => None,
                });
                let Some(problem) = problem else { continue };
                let mut add = |status: &str, description: &str| {
                    let mut r = problem.clone();
                    r.description = description.to_string();
                    r.headers.clear();
                    responses
                        .entry(status.to_string())
                        .or_insert(utoipa::openapi::RefOr::T(r));
                };
                if limited {
                    add(
                        "429",
                        "`rate_limited`: over the webhook URL's or token's rate (`Retry-After`)",
                    );
                }
                add("431", "`headers_too_large`");
            }
        }
    }
}

/// The Problem schema's `code` lists every stable code with its status and meaning, from the
/// one list in `crate::error`.
struct ProblemCodes;

impl Modify for ProblemCodes {
    fn modify(&self, doc: &mut Document) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else {
            return;
        };
        let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code") else {
            return;
        };
        let mut description = String::from("Stable, machine-readable: branch on this. One of:\n\n");
        description.push_str(&crate::error::markdown_list());
        code.description = Some(description);
    }
}

/// The whole document, built once.
pub fn document() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = Root::openapi();
        for part in [
            super::health::Doc::openapi(),
            super::webhooks::Doc::openapi(),
            super::admin::channels::Doc::openapi(),
            super::admin::destinations::Doc::openapi(),
            super::chatwoot_callback::Doc::openapi(),
            super::admin::events::Doc::openapi(),
            super::admin::deliveries::Doc::openapi(),
            super::relay::Doc::openapi(),
            super::admin::tokens::Doc::openapi(),
        ] {
            doc.merge(part);
        }
        // After the merge: these read the operations and schemas the parts bring.
        FloodControl.modify(&mut doc);
        ProblemCodes.modify(&mut doc);
        doc
    })
}

#[utoipa::path(
    tag = "operations",
    operation_id = "getOpenApi",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
    security(())
)]
#[get("/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

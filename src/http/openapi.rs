//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated from the handlers'
//! `#[utoipa::path]` annotations and the request and answer types, so it cannot drift from the
//! code. Each HTTP module lists its own routes in a `Doc`; this one merges them.

use std::sync::OnceLock;

use actix_web::{get, web, HttpResponse};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr, Required};
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
        (name = "routing", description = "Agents and teams that live chats are offered to"),
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
            (
                "metrics",
                "`server.metrics_token`, when set: reading `/metrics`",
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

/// The problem answers most operations share, declared here instead of on every route: 401
/// and 403 where a bearer token is required, 400/413/415 where that route takes a JSON body,
/// and 404 where its path names a resource. A route's own entry for a status wins.
struct SharedProblems;

impl Modify for SharedProblems {
    fn modify(&self, doc: &mut Document) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let resource = path
                .strip_prefix("/v1/")
                .filter(|p| p.contains('{'))
                .and_then(|p| p.split('/').next())
                .map(singular);
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
                let bearer = op.security.iter().flatten().any(|s| {
                    let s = serde_json::to_value(s).unwrap_or_default();
                    s.get("admin").is_some() || s.get("helpdesk").is_some()
                });
                if !bearer {
                    continue;
                }
                // An optional body is read by hand (`optional_json`): only its JSON is checked.
                let json_body = op.request_body.as_ref().is_some_and(|b| {
                    b.content.contains_key("application/json")
                        && matches!(b.required, Some(Required::True))
                });
                let mut shared = vec![
                    (
                        "401",
                        "`unauthorized`: no token, or not a valid one".to_string(),
                    ),
                    (
                        "403",
                        "`forbidden`: this token's role may not do this".to_string(),
                    ),
                ];
                if json_body {
                    shared.extend([
                        ("400", "`invalid_json`: the body is not JSON".to_string()),
                        ("413", "`body_too_large`".to_string()),
                        (
                            "415",
                            "`unsupported_media_type`: send `Content-Type: application/json`"
                                .to_string(),
                        ),
                    ]);
                }
                if let Some(resource) = &resource {
                    shared.push(("404", format!("`not_found`: no such {resource}")));
                }
                for (status, description) in shared {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(problem(description)));
                }
            }
        }
    }
}

/// `channels` -> `channel`, `deliveries` -> `delivery`.
fn singular(plural: &str) -> String {
    match plural.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => plural.strip_suffix('s').unwrap_or(plural).to_string(),
    }
}

/// A problem answer with `description`.
fn problem(description: String) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
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

/// The new channel's `credentials` name each provider's fields, from the connectors'
/// declarations (the same ones `GET /v1/providers` lists).
struct ProviderCredentials;

impl Modify for ProviderCredentials {
    fn modify(&self, doc: &mut Document) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(channel))) = components.schemas.get_mut("NewChannel")
        else {
            return;
        };
        let Some(RefOr::T(Schema::Object(credentials))) = channel.properties.get_mut("credentials")
        else {
            return;
        };
        let mut description = String::from(
            "The provider's credentials (`GET /v1/providers` lists them with help text). By \
             provider, required fields in bold, secrets (stored encrypted, shown masked) marked:\n\n",
        );
        for connector in crate::connectors::Registry::default().connectors() {
            let fields: Vec<String> = connector
                .credential_fields()
                .iter()
                .map(|f| {
                    let name = if f.required {
                        format!("**`{}`**", f.name)
                    } else {
                        format!("`{}`", f.name)
                    };
                    if f.is_secret() {
                        format!("{name} (secret)")
                    } else {
                        name
                    }
                })
                .collect();
            let fields = if fields.is_empty() {
                "none".to_string()
            } else {
                fields.join(", ")
            };
            description.push_str(&format!("- `{}`: {fields}\n", connector.provider()));
        }
        credentials.description = Some(description);
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
            super::admin::destination_test::Doc::openapi(),
            super::chatwoot_callback::Doc::openapi(),
            super::admin::event_stream::Doc::openapi(),
            super::admin::events::Doc::openapi(),
            super::admin::deliveries::Doc::openapi(),
            super::relay::Doc::openapi(),
            super::admin::tokens::Doc::openapi(),
            super::admin::agents::Doc::openapi(),
            super::admin::teams::Doc::openapi(),
        ] {
            doc.merge(part);
        }
        // After the merge: these read the operations and schemas the parts bring.
        SharedProblems.modify(&mut doc);
        FloodControl.modify(&mut doc);
        ProblemCodes.modify(&mut doc);
        ProviderCredentials.modify(&mut doc);
        doc
    })
}

/// This document
#[utoipa::path(
    tag = "operations",
    operation_id = "getOpenApi",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
    security(())
)]
#[get("/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

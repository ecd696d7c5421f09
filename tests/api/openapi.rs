//! `GET /openapi.json`: a valid OpenAPI 3.1 document that lists exactly the routes the server
//! registers. A route added without a spec entry, or a spec entry without a route, fails here.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> (String, Value) {
    let resp = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let text = resp.text().await.unwrap();
    let doc = serde_json::from_str(&text).unwrap();
    (text, doc)
}

/// Every `(METHOD, path)` the spec documents.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                ops.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// The first string literal after `from` in `text`.
fn literal(text: &str) -> Option<&str> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

/// Every `.rs` file under `dir`, at any depth.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(path);
        }
    }
}

/// Every `(METHOD, path)` registered anywhere in `src`: the attribute macros (`#[get("...")]`),
/// `.route("...", web::get()...)` and `web::resource("...")` with its `.route(web::get())`s.
fn registered() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    sources(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        for line in source.lines().map(str::trim) {
            for m in METHODS {
                if let Some(rest) = line.strip_prefix(&format!("#[{m}(")) {
                    routes.insert((m.to_uppercase(), literal(rest).unwrap().to_string()));
                }
            }
        }
        for (i, _) in source.match_indices(".route(\"") {
            let rest = &source[i + ".route(".len()..];
            let route = literal(rest).unwrap();
            let after = &rest[route.len() + 2..];
            let m = METHODS
                .iter()
                .find(|m| {
                    after
                        .trim_start_matches([',', ' ', '\n'])
                        .starts_with(&format!("web::{m}()"))
                })
                .unwrap_or_else(|| panic!("{}: cannot read the method of {route}", path.display()));
            routes.insert((m.to_uppercase(), route.to_string()));
        }
        for (i, _) in source.match_indices("web::resource(") {
            let rest = &source[i + "web::resource(".len()..];
            let route = literal(rest).unwrap();
            let end = rest.find(';').unwrap_or(rest.len());
            let chain = &rest[..end];
            let chain = &chain[..chain[1..]
                .find("web::resource(")
                .map_or(chain.len(), |n| n + 1)];
            for m in METHODS {
                if chain.contains(&format!(".route(web::{m}()"))
                    || chain.contains(&format!(".{m}("))
                {
                    routes.insert((m.to_uppercase(), route.to_string()));
                }
            }
        }
    }
    routes
}

/// Every `"$ref"` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1_with_both_token_kinds_and_problems() {
    let app = spawn_app().await;
    let (text, doc) = document(&app).await;
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3.1."), "{}", spec.openapi);
    assert_eq!(doc["info"]["title"], "omnigate");

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').expect("local references only");
        assert!(doc.pointer(pointer).is_some(), "{r} points nowhere");
    }
    let schemes = &doc["components"]["securitySchemes"];
    for name in ["admin", "helpdesk"] {
        assert_eq!(schemes[name]["type"], "http", "{name}");
        assert_eq!(schemes[name]["scheme"], "bearer", "{name}");
    }
    let problem = &doc["components"]["schemas"]["Problem"];
    assert!(problem["required"]
        .as_array()
        .unwrap()
        .contains(&Value::from("code")));

    let mut operation_ids = BTreeSet::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            operation_ids.insert(id.to_string()),
            "{method} {path}: operationId {id:?} is missing or not unique"
        );
        let security = op["security"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let bearer = security
            .iter()
            .any(|s| s.get("admin").is_some() || s.get("helpdesk").is_some());
        let open = path.starts_with("/hooks/")
            || path.starts_with("/v1/helpdesks/")
            || !path.starts_with("/v1/");
        assert_eq!(bearer, !open, "{method} {path}: security {security:?}");
        if bearer {
            let unauthorized = &op["responses"]["401"]["content"]["application/problem+json"];
            assert_eq!(
                unauthorized["schema"]["$ref"], "#/components/schemas/Problem",
                "{method} {path} documents its 401 problem"
            );
        }
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path}"
        );
    }
    let relay = &doc["paths"]["/v1/conversations/{id}/messages"]["post"]["security"];
    assert!(relay
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.get("helpdesk").is_some()));
}

#[tokio::test]
async fn the_document_lists_every_route_the_server_has_and_no_other() {
    let app = spawn_app().await;
    let (_, doc) = document(&app).await;
    let in_spec = documented(&doc);
    // The web console's pages are HTML for a browser, not the API (README, "Web console").
    let in_code: BTreeSet<_> = registered()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/console"))
        .collect();
    assert!(in_code.len() > 30, "the route scan found {in_code:?}");
    let undocumented: Vec<_> = in_code.difference(&in_spec).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the spec: {undocumented:?}"
    );
    let unrouted: Vec<_> = in_spec.difference(&in_code).collect();
    assert!(
        unrouted.is_empty(),
        "spec entries without a route: {unrouted:?}"
    );

    // And each one answers: whatever it says (401, 404 for an unknown id, 422), it is not the
    // router's own "no route" 404.
    let http = reqwest::Client::new();
    for (method, path) in in_spec {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x0" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let mut req = http.request(method.parse().unwrap(), format!("{}{concrete}", app.base));
        if method == "POST" || method == "PATCH" {
            req = req.header("content-type", "application/json").body("{}");
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let no_route = status == 404
            && body["code"] == "not_found"
            && body["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with("no route");
        assert!(
            !no_route,
            "{method} {path} is documented but not routed: {body}"
        );
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
}

#[tokio::test]
async fn every_stable_error_code_is_described_in_the_problem_schema() {
    let app = spawn_app().await;
    let (_, doc) = document(&app).await;
    let described = doc["components"]["schemas"]["Problem"]["properties"]["code"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for code in omnigate::error::Code::ALL {
        assert!(
            described.contains(&format!("`{}`", code.as_str())),
            "{code} is missing from the Problem schema's code description"
        );
    }
    // And the guard's answers are documented where it gives them.
    let list = &doc["paths"]["/v1/channels"]["get"]["responses"];
    assert!(
        list.get("429").is_some() && list.get("431").is_some(),
        "{list}"
    );
}

/// Each provider's credential fields, declared once in its connector, are listed by
/// `GET /v1/providers` (with the secret flag) and named in the new channel's schema.
#[tokio::test]
async fn providers_and_the_channel_schema_list_each_providers_credential_fields() {
    let app = spawn_app().await;
    let (status, providers) = app.get("/v1/providers").await;
    assert_eq!(status, 200);
    let naver = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "naver_talktalk")
        .unwrap();
    let fields: Vec<(&str, bool, bool)> = naver["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap(),
                f["required"].as_bool().unwrap(),
                f["secret"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [("account_id", true, false), ("send_api_key", true, true)]
    );
    let key = &naver["credentials"][1];
    assert_eq!(key["kind"], "secret");
    assert!(
        key["where_to_find"]
            .as_str()
            .unwrap()
            .contains("Partner Center"),
        "{key}"
    );
    let chatwoot = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "chatwoot")
        .unwrap();
    assert_eq!(chatwoot["credentials"][0]["kind"], "outbound_url");

    let (_, doc) = document(&app).await;
    let field = &doc["components"]["schemas"]["CredentialField"];
    assert_eq!(field["properties"]["secret"]["type"], "boolean", "{field}");
    let described = doc["components"]["schemas"]["NewChannel"]["properties"]["credentials"]
        ["description"]
        .as_str()
        .unwrap();
    assert!(
        described.contains("- `naver_talktalk`: **`account_id`**, **`send_api_key`** (secret)"),
        "{described}"
    );
    assert!(
        described.contains("- `chatlio`: `widget_id`"),
        "{described}"
    );
}

//! A local Chatwoot that takes only what its OpenAPI file describes: every request must match an
//! operation of `fixtures/chatwoot-openapi-subset.json` (Chatwoot's own, copied verbatim), and
//! its body must validate against that operation's schema with a JSON Schema validator. The one
//! call omnigate makes outside the file, the message status update that Chatwoot's code accepts
//! for API inboxes, is held to a schema written from that code (see `STATUS_UPDATE`) and to the
//! same path and account checks. Request bodies are closed: a field the operation does not list
//! is refused. Anything else is refused and recorded, and every test that sends the fake traffic
//! ends by asserting nothing was refused.

use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ACCOUNT: u64 = 3;
pub const INBOX: u64 = 7;
pub const ACCESS_TOKEN: &str = "cw-user-token-7Fq2xWm9pLs4Tz8";

/// `PATCH .../conversations/{id}/messages/{message_id}`: `Api::V1::Accounts::Conversations::
/// MessagesController#update` permits `status` (`Messages::StatusUpdateService`) and
/// `external_error`.
const STATUS_UPDATE: &str = r#"{"type": "object", "required": ["status"], "additionalProperties": false,
  "properties": {"status": {"type": "string", "enum": ["sent", "delivered", "read", "failed"]},
                 "external_error": {"type": "string"}}}"#;

/// Fields Chatwoot's controllers take that its OpenAPI file does not list: (operation, field,
/// where Chatwoot reads it). Everything else outside the listed properties is refused.
const BEYOND_THE_FILE: &[(&str, &str, &str)] = &[
    (
        "/api/v1/accounts/{account_id}/contacts",
        "source_id",
        "ContactsController#build_contact_inbox passes params[:source_id] to ContactInboxBuilder",
    ),
    (
        "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages",
        "source_id",
        "Messages::MessageBuilder#message_params takes source_id",
    ),
];

#[derive(Default)]
pub struct State {
    pub down: bool,
    pub contacts: Vec<Value>,
    pub conversations: Vec<Value>,
    /// (conversation display id, message as received, with `id` added).
    pub messages: Vec<(u64, Value)>,
    /// (conversation display id, message id, body).
    pub status_updates: Vec<(u64, u64, Value)>,
    /// Requests refused for not matching the OpenAPI file: method, path and why.
    pub refused: Vec<String>,
    next_id: u64,
}

#[derive(Clone)]
pub struct FakeChatwoot {
    pub server: Arc<MockServer>,
    pub state: Arc<Mutex<State>>,
}

struct Operation {
    method: &'static str,
    /// Path segments; `None` is a parameter.
    segments: Vec<Option<String>>,
    template: String,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_some() {
                ops.push(Operation {
                    method: match method {
                        "get" => "GET",
                        "post" => "POST",
                        "patch" => "PATCH",
                        "put" => "PUT",
                        _ => "DELETE",
                    },
                    segments: template
                        .split('/')
                        .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                        .collect(),
                    template: template.clone(),
                });
            }
        }
    }
    ops
}

fn matches(op: &Operation, method: &str, path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    op.method == method
        && parts.len() == op.segments.len()
        && op
            .segments
            .iter()
            .zip(&parts)
            .all(|(s, p)| s.as_deref().map_or(true, |s| s == *p))
}

/// A schema that resolves its `#/components/...` references inside the document.
fn schema_with_components(schema: &Value, doc: &Value) -> Value {
    let mut root = schema.clone();
    if let Some(o) = root.as_object_mut() {
        o.insert("components".into(), doc["components"].clone());
    }
    root
}

/// The request body schema, closed: where Chatwoot's file lists the properties of a body, a field
/// outside that list is refused (Chatwoot's strong parameters drop it silently, so a gateway
/// sending it would believe it set something it did not).
fn strict(schema: &Value, doc: &Value, template: &str) -> Value {
    let mut schema = match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => doc["components"]["schemas"][name].clone(),
        None => schema.clone(),
    };
    if let Some(o) = schema.as_object_mut() {
        if o.contains_key("properties") && !o.contains_key("additionalProperties") {
            o.insert("additionalProperties".into(), json!(false));
            if let Some(properties) = o.get_mut("properties").and_then(Value::as_object_mut) {
                for (_, field, _) in BEYOND_THE_FILE.iter().filter(|(t, ..)| *t == template) {
                    properties.insert((*field).into(), json!({"type": "string"}));
                }
            }
        }
    }
    schema
}

fn validate(schema: &Value, body: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// A multipart body as the JSON object its form fields stand for (OpenAPI's form encoding):
/// `true`/`false` as booleans, `name[]` fields collected into the array `name`.
fn multipart_fields(req: &Request) -> Option<Value> {
    let ct = req.headers.get("content-type")?.to_str().ok()?;
    let boundary = ct.split("boundary=").nth(1)?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let parts = split(&req.body, delimiter.as_bytes());
    let mut out = Map::new();
    for part in parts.into_iter().skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let at = part.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..at]).to_string();
        let value = &part[at + 4..];
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let name = head.split("name=\"").nth(1)?.split('"').next()?.to_string();
        if let Some(array) = name.strip_suffix("[]") {
            let filename = head
                .split("filename=\"")
                .nth(1)
                .and_then(|f| f.split('"').next());
            let entry = out.entry(array.to_string()).or_insert_with(|| json!([]));
            if let Some(a) = entry.as_array_mut() {
                a.push(json!(format!("{}:{}", filename.unwrap_or(""), value.len())));
            }
        } else {
            let v = match String::from_utf8_lossy(value).as_ref() {
                "true" => json!(true),
                "false" => json!(false),
                other => json!(other),
            };
            out.insert(name, v);
        }
    }
    Some(Value::Object(out))
}

fn split<'a>(body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    parts.push(rest);
    parts
}

struct Responder {
    doc: Value,
    ops: Vec<Operation>,
    state: Arc<Mutex<State>>,
}

fn refuse(state: &mut State, req: &Request, why: String) -> ResponseTemplate {
    state
        .refused
        .push(format!("{} {}: {why}", req.method, req.url.path()));
    ResponseTemplate::new(400).set_body_json(json!({"message": why}))
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        if state.down {
            return ResponseTemplate::new(503);
        }
        let token = req
            .headers
            .get("api_access_token")
            .and_then(|v| v.to_str().ok());
        if token != Some(ACCESS_TOKEN) {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"error": "Invalid Access Token"}));
        }
        let method = req.method.to_string();
        let path = req.url.path().to_string();
        let segments: Vec<&str> = path.split('/').collect();
        // The status update: outside the OpenAPI file, held to the same path shape and account
        // check as the operations in it, its body to STATUS_UPDATE.
        if method == "PATCH" {
            let shape = [
                "",
                "api",
                "v1",
                "accounts",
                "",
                "conversations",
                "",
                "messages",
                "",
            ];
            let ids = [4, 6, 8].map(|i| segments.get(i).and_then(|s| s.parse::<u64>().ok()));
            let fits = segments.len() == shape.len()
                && shape
                    .iter()
                    .zip(&segments)
                    .all(|(want, got)| want.is_empty() || want == got);
            let [Some(account), Some(conv), Some(mid)] = ids else {
                return refuse(&mut state, req, "no such operation".into());
            };
            if !fits {
                return refuse(&mut state, req, "no such operation".into());
            }
            if account != ACCOUNT {
                return ResponseTemplate::new(404).set_body_json(json!({"error": "account"}));
            }
            let body: Value = match serde_json::from_slice(&req.body) {
                Ok(b) => b,
                Err(e) => return refuse(&mut state, req, format!("body is not JSON: {e}")),
            };
            let schema: Value = serde_json::from_str(STATUS_UPDATE).unwrap();
            if let Err(e) = validate(&schema, &body) {
                return refuse(&mut state, req, e);
            }
            state.status_updates.push((conv, mid, body));
            return ResponseTemplate::new(200).set_body_json(json!({"id": mid}));
        }
        let Some(op) = self.ops.iter().find(|o| matches(o, &method, &path)) else {
            return refuse(
                &mut state,
                req,
                "no such operation in the OpenAPI file".into(),
            );
        };
        if segments.get(4).and_then(|a| a.parse::<u64>().ok()) != Some(ACCOUNT) {
            return ResponseTemplate::new(404).set_body_json(json!({"error": "account"}));
        }
        let ct = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let (body, schema) = if ct.starts_with("multipart/form-data") {
            let uncompiled = &self.doc["x-uncompiled-path-items"];
            if uncompiled["applies_to_path"] != op.template.as_str() {
                return refuse(
                    &mut state,
                    req,
                    "no multipart variant of this operation".into(),
                );
            }
            let schema = uncompiled
                .pointer("/path_item/post/requestBody/content/multipart~1form-data/schema")
                .cloned()
                .unwrap_or(Value::Null);
            (multipart_fields(req).unwrap_or(Value::Null), schema)
        } else {
            let pointer = format!(
                "/paths/{}/{}/requestBody/content/application~1json/schema",
                op.template.replace('~', "~0").replace('/', "~1"),
                method.to_lowercase()
            );
            let schema = self.doc.pointer(&pointer).cloned().unwrap_or(Value::Null);
            let body: Value = match serde_json::from_slice(&req.body) {
                Ok(b) => b,
                Err(e) => return refuse(&mut state, req, format!("body is not JSON: {e}")),
            };
            (body, schema)
        };
        let schema = strict(&schema, &self.doc, &op.template);
        if let Err(e) = validate(&schema_with_components(&schema, &self.doc), &body) {
            return refuse(&mut state, req, e);
        }
        answer(&mut state, &segments, body)
    }
}

/// What Chatwoot does with a valid request, as far as the tests need it.
fn answer(state: &mut State, segments: &[&str], body: Value) -> ResponseTemplate {
    state.next_id += 1;
    let id = state.next_id;
    match (segments.len(), segments[5]) {
        (6, "contacts") => {
            if body["inbox_id"] != INBOX {
                return ResponseTemplate::new(422).set_body_json(json!({"message": "inbox"}));
            }
            let identifier = body["identifier"].clone();
            if !identifier.is_null() && state.contacts.iter().any(|c| c["identifier"] == identifier)
            {
                return ResponseTemplate::new(422)
                    .set_body_json(json!({"message": "Identifier has already been taken"}));
            }
            let mut contact = body.clone();
            contact["id"] = json!(id);
            state.contacts.push(contact.clone());
            ResponseTemplate::new(200).set_body_json(json!({"payload": {"contact": contact,
                "contact_inbox": {"source_id": body["source_id"], "inbox": {"id": INBOX}}}}))
        }
        (6, "conversations") => {
            let display_id = state.conversations.len() as u64 + 1;
            let mut conversation = body.clone();
            conversation["id"] = json!(display_id);
            state.conversations.push(conversation);
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": display_id, "account_id": ACCOUNT, "inbox_id": INBOX}))
        }
        (8, "conversations") if segments[7] == "messages" => {
            let display_id: u64 = segments[6].parse().unwrap_or(0);
            let Some(conversation) = state
                .conversations
                .iter_mut()
                .find(|c| c["id"] == display_id)
            else {
                return ResponseTemplate::new(404)
                    .set_body_json(json!({"error": "Resource could not be found"}));
            };
            // Message#reopen_conversation: an incoming message opens a resolved conversation.
            if body["message_type"] == "incoming" && conversation["status"] == "resolved" {
                conversation["status"] = json!("open");
            }
            let mut message = body;
            message["id"] = json!(id);
            state.messages.push((display_id, message));
            ResponseTemplate::new(200).set_body_json(json!({"id": id}))
        }
        _ => ResponseTemplate::new(404).set_body_json(json!({"error": "not handled"})),
    }
}

impl FakeChatwoot {
    pub async fn start() -> FakeChatwoot {
        let path = format!(
            "{}/tests/api/fixtures/chatwoot-openapi-subset.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder {
                ops: operations(&doc),
                doc,
                state: state.clone(),
            })
            .mount(&server)
            .await;
        FakeChatwoot {
            server: Arc::new(server),
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Resolves a conversation, as an agent would.
    pub fn resolve(&self, display_id: u64) {
        self.with(|s| {
            if let Some(c) = s.conversations.iter_mut().find(|c| c["id"] == display_id) {
                c["status"] = json!("resolved");
            }
        });
    }

    pub fn assert_nothing_refused(&self) {
        let refused = self.with(|s| s.refused.clone());
        assert!(
            refused.is_empty(),
            "requests outside the OpenAPI file: {refused:#?}"
        );
    }
}

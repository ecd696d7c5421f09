//! What the admin API accepts for a stream destination: each bad field a 422 with a stable code
//! naming it, nothing created; loopback brokers only through the egress allowlist; credentials
//! masked in every answer.

use serde_json::json;

use super::*;
use crate::helpers::spawn_app;

#[tokio::test]
async fn bad_stream_destination_fields_are_refused_with_a_code_naming_each() {
    let app = gateway(&["127.0.0.1:4222".into(), "127.0.0.1:6379".into()]).await;
    let nats = |extra: Value| {
        let mut body = json!({"kind": "nats", "url": "nats://127.0.0.1:4222", "stream": "S"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (body, code, field) in [
        (
            nats(json!({"subject": "a.{nope}"})),
            "invalid_template",
            "subject",
        ),
        (
            nats(json!({"subject": "a.*"})),
            "invalid_template",
            "subject",
        ),
        (
            nats(json!({"subject": "a..{type}"})),
            "invalid_template",
            "subject",
        ),
        (nats(json!({"stream": "a.b"})), "invalid_stream", "stream"),
        (nats(json!({"stream": null})), "invalid_stream", "stream"),
        (
            nats(json!({"url": "http://127.0.0.1:4222"})),
            "invalid_url",
            "url",
        ),
        (
            nats(json!({"url": "nats://app:pw@127.0.0.1:4222"})),
            "url_has_credentials",
            "url",
        ),
        (
            nats(json!({"username": "app"})),
            "invalid_broker_credentials",
            "password",
        ),
        (
            nats(json!({"token": 7})),
            "invalid_broker_credentials",
            "token",
        ),
        (
            nats(json!({"exchange": "x"})),
            "field_not_applicable",
            "exchange",
        ),
        (
            json!({"kind": "redis_stream", "url": "redis://127.0.0.1:6379", "max_len": 0}),
            "invalid_max_len",
            "max_len",
        ),
        (
            json!({"kind": "redis_stream", "url": "redis://127.0.0.1:6379", "stream_key": "{x}"}),
            "invalid_template",
            "stream_key",
        ),
        (
            json!({"kind": "redis_stream", "url": "redis://127.0.0.1:6379", "token": "t"}),
            "field_not_applicable",
            "token",
        ),
        (
            json!({"kind": "amqp", "url": "amqp://127.0.0.1:5672", "exchange": "x"}),
            "url_not_allowed",
            "url",
        ),
        (
            json!({"kind": "amqp", "url": "amqp://127.0.0.1:6379", "exchange": "a b"}),
            "invalid_exchange",
            "exchange",
        ),
        (
            json!({"kind": "amqp", "url": "amqp://127.0.0.1:6379", "exchange": "x",
                   "routing_key": "x".repeat(300)}),
            "invalid_template",
            "routing_key",
        ),
    ] {
        let (status, problem) = app.post("/v1/destinations", body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(
            (problem["code"].as_str(), problem["field"].as_str()),
            (Some(code), Some(field)),
            "{body}: {problem}"
        );
    }
    let (_, list) = app.get("/v1/destinations").await;
    assert_eq!(list["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_broker_on_loopback_needs_the_egress_allowlist() {
    let app = spawn_app().await;
    let (status, _) = app
        .post(
            "/v1/destinations",
            json!({"kind": "redis_stream", "url": "redis://127.0.0.1:6379"}),
        )
        .await;
    assert_eq!(status, 201, "allowed while private destinations are");
    let app = gateway(&[]).await;
    let (status, problem) = app
        .post(
            "/v1/destinations",
            json!({"kind": "redis_stream", "url": "redis://127.0.0.1:6379"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("url_not_allowed")),
        "{problem}"
    );
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("private_destination_allowlist"));
}

#[tokio::test]
async fn a_stream_destination_is_shown_with_its_defaults_and_masked_secrets_and_changes_field_by_field(
) {
    let app = gateway(&["127.0.0.1:4222".into()]).await;
    let d = destination(
        &app,
        json!({"kind": "nats", "url": "nats://127.0.0.1", "stream": "EVENTS",
               "username": "app", "password": "a-long-nats-password"}),
    )
    .await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(
        d["url"], "nats://127.0.0.1:4222",
        "the default port spelled out"
    );
    assert_eq!(d["subject"], "omnigate.{channel}.{type}");
    assert_eq!(
        (d["username"].as_str(), d["password"].as_str()),
        (Some("app"), Some("****word"))
    );
    assert!(
        d.get("secret").is_none(),
        "nothing to sign with: a broker is not signed"
    );
    let (status, changed) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{id}"),
            Some(json!({"subject": "events.{provider}.{conversation}"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["subject"], "events.{provider}.{conversation}");
    assert_eq!(
        (changed["stream"].as_str(), changed["password"].as_str()),
        (Some("EVENTS"), Some("****word"))
    );
    let (status, problem) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{id}"),
            Some(json!({"subject": "bad subject"})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("invalid_template"))
    );
    let (_, shown) = app.get(&format!("/v1/destinations/{id}")).await;
    assert_eq!(
        shown["subject"], "events.{provider}.{conversation}",
        "unchanged"
    );
    assert!(!shown.to_string().contains("a-long-nats-password"));
}

//! The admin token an operator configures: refused when weak, listed and retirable like any
//! other, never the last admin token deleted, and failed guesses throttled per source address.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::process::GatewayProcess;

#[tokio::test]
async fn a_weak_configured_admin_token_stops_the_gateway_at_start() {
    for weak in ["a", "changeme", "adminadminadminadminadminadmin"] {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = fast_settings(&dir);
        settings.admin.token = weak.into();
        let refused = omnigate::startup::Application::build(settings).await;
        let message = format!("{:#}", refused.err().expect("a weak token is refused"));
        assert!(message.contains("admin.token"), "{message}");
        assert!(message.contains("too weak"), "{message}");
        assert!(
            !message.contains(weak) || weak == "a",
            "the token is not echoed: {message}"
        );
    }
}

async fn status_with(client: &reqwest::Client, app: &TestApp, token: &str) -> reqwest::Response {
    client
        .get(format!("{}/v1/channels", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn distinct_wrong_tokens_from_one_address_are_throttled_and_other_addresses_are_not() {
    let app = spawn_with(|s| {
        s.security.auth_failures_per_minute = 1;
        s.security.auth_failure_burst = 3;
    })
    .await;
    let attacker = reqwest::Client::new();
    for guess in 0..3 {
        let r = status_with(&attacker, &app, &format!("ogt_guess{guess}")).await;
        assert_eq!(r.status(), 401, "guess {guess}");
    }
    let throttled = status_with(&attacker, &app, "ogt_guess3").await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(
        throttled.headers()["content-type"],
        "application/problem+json"
    );
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // While throttled, even the right token is not looked at from that address.
    let right = status_with(&attacker, &app, TOKEN).await;
    assert_eq!(right.status(), 429);
    // Another source address is not held back.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    assert_eq!(status_with(&elsewhere, &app, TOKEN).await.status(), 200);
}

fn admins(list: &Value) -> Vec<Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "admin")
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_last_admin_token_cannot_be_deleted_and_a_generated_one_can_be_retired() {
    let app = spawn_with(|s| s.admin.token = String::new().into()).await;
    let generated = std::fs::read_to_string(app.data.join("admin-token")).unwrap();
    let generated = generated.trim();
    let call = |token: &str, method: reqwest::Method, path: &str| {
        app.http
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(token)
    };
    let list: Value = call(generated, reqwest::Method::GET, "/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let only = admins(&list);
    assert_eq!(only.len(), 1, "{list}");
    let id = only[0]["id"].as_str().unwrap().to_string();
    let last = call(
        generated,
        reqwest::Method::DELETE,
        &format!("/v1/tokens/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(last.status(), 409);
    let body: Value = last.json().await.unwrap();
    assert_eq!(body["code"], "last_admin_token");
    let still = call(generated, reqwest::Method::GET, "/v1/channels")
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "the token still works");
    let minted: Value = call(generated, reqwest::Method::POST, "/v1/tokens")
        .json(&json!({"role": "admin", "label": "second admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = minted["token"].as_str().unwrap();
    let retired = call(second, reqwest::Method::DELETE, &format!("/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(retired.status(), 204);
    let gone = call(generated, reqwest::Method::GET, "/v1/channels")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
}

#[tokio::test]
async fn the_configured_admin_token_is_listed_and_stays_retired_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let gw = GatewayProcess::builder().data(dir.path()).spawn().await;
    let app = TestApp::process(gw.port, dir.path());
    let (status, list) = app.get("/v1/tokens").await;
    assert_eq!(status, 200);
    let configured = admins(&list);
    assert_eq!(configured.len(), 1, "{list}");
    let label = configured[0]["label"].as_str().unwrap();
    assert!(label.starts_with("admin.token (configuration)"), "{label}");
    let id = configured[0]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(reqwest::Method::DELETE, &format!("/v1/tokens/{id}"), None)
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("last_admin_token"))
    );
    let (status, reserved) = app
        .post("/v1/tokens", json!({"role": "admin", "label": label}))
        .await;
    assert_eq!(
        (status, reserved["code"].clone()),
        (422, json!("invalid_label"))
    );
    let (_, minted) = app
        .post("/v1/tokens", json!({"role": "admin", "label": "successor"}))
        .await;
    let successor = minted["token"].as_str().unwrap().to_string();
    let (status, _) = app
        .call(reqwest::Method::DELETE, &format!("/v1/tokens/{id}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.get("/v1/channels").await.0, 401, "retired at once");
    gw.terminate().await;

    // The same configuration after a restart: the retired token stays refused.
    let gw = GatewayProcess::builder().data(dir.path()).spawn().await;
    let app = TestApp::process(gw.port, dir.path());
    assert_eq!(app.get("/v1/channels").await.0, 401);
    let list: Value = app
        .http
        .get(format!("{}/v1/tokens", app.base))
        .bearer_auth(&successor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let left = admins(&list);
    assert_eq!(left.len(), 1, "{list}");
    assert_eq!(left[0]["label"], "successor");
}

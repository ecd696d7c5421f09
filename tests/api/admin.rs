//! Health probes, authentication of the admin API, and the shape of errors.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn admin_routes_refuse_missing_and_wrong_tokens_with_problem_json() {
    let app = spawn_app().await;
    let url = format!("{}/v1/channels", app.base);
    let none = reqwest::get(&url).await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = none.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["status"], 401);

    let wrong = reqwest::Client::new()
        .get(&url)
        .bearer_auth("ogt_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let basic = reqwest::Client::new()
        .get(&url)
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let ok = reqwest::Client::new()
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_generated_admin_token_is_kept_hashed_and_in_a_private_file() {
    let app = spawn_with(|s| s.admin.token = String::new().into()).await;
    let path = app.data.as_path().join("admin-token");
    let token = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(token.starts_with("ogt_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let ok = reqwest::Client::new()
        .get(format!("{}/v1/channels", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let db = std::fs::read(app.data.as_path().join("omnigate.db")).unwrap_or_default();
    let wal = std::fs::read(app.data.as_path().join("omnigate.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is stored only hashed"
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_malformed_bodies_get_stable_codes() {
    let app = spawn_app().await;
    let (status, body) = app.get("/v1/nothing-here").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    let resp = app
        .http
        .post(format!("{}/v1/channels", app.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");

    let resp = app
        .http
        .post(format!("{}/v1/channels", app.base))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);

    let (status, body) = app
        .post("/v1/channels", json!({"provider": "naver_talktalk"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_body")));
    let (status, body) = app.get("/v1/deliveries?status=lost").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );
    let (status, body) = app.get("/v1/events?limit=0").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );
    let (status, _) = app.get("/v1/channels").await;
    assert_eq!(status, 200);
    let (_, list) = app.get("/v1/channels").await;
    assert_eq!(
        list["items"],
        json!([]),
        "nothing was created by the bad requests"
    );
}

/// The value of the first sample of `metric` whose labels contain all of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(metric) && labels.iter().all(|x| l.contains(x)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_count_webhooks_by_outcome_and_show_queue_depths() {
    // A gateway process of its own: its recorder counts only this test's traffic.
    let gw = GatewayProcess::builder().spawn().await;
    let app = gw.app();
    let (_, url) = app.approved_naver_channel().await;
    let metrics_url = format!("{}/metrics", app.base);
    let count = |text: &str, outcome: &str| {
        sample(
            text,
            "omnigate_webhooks_received_total",
            &[r#"provider="naver_talktalk""#, outcome],
        )
    };
    let accepted = r#"outcome="accepted""#;
    let before = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count(&before, accepted), None, "nothing received yet");
    assert_eq!(post_hook(&url, naver_text("u1", "hi")).await.status(), 200);
    assert_eq!(post_hook(&url, "not json").await.status(), 200);
    let resp = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let after = resp.text().await.unwrap();
    assert_eq!(count(&after, accepted), Some(1.0), "{after}");
    assert_eq!(
        count(&after, r#"outcome="unrecognized""#),
        Some(1.0),
        "{after}"
    );
    assert!(after.contains("omnigate_ingest_duration_seconds_bucket"));
    assert!(after.contains("omnigate_deliveries_queued"));
    assert!(after.contains("omnigate_deliveries_dead"));
    let _ = post_hook(&format!("{}/hooks/nope", app.base), "{}").await;
    let last = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &last,
            "omnigate_webhooks_received_total",
            &[r#"outcome="unknown_key""#]
        ),
        Some(1.0),
        "{last}"
    );
}

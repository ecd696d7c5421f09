//! Registering channels and walking them through the approval states.

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_registered_channel_starts_unverified_with_masked_credentials() {
    let app = spawn_app().await;
    let ch = app.create_naver_channel().await;
    assert!(ch["id"].as_str().unwrap().starts_with("chn_"));
    assert_eq!(ch["state"], "unverified");
    assert_eq!(ch["webhook_url"], Value::Null);
    assert_eq!(ch["credentials"]["account_id"], "wc8b1i");
    assert_eq!(ch["credentials"]["send_api_key"], "****zdNL");

    let id = ch["id"].as_str().unwrap();
    for path in [format!("/v1/channels/{id}"), "/v1/channels".to_string()] {
        let resp = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(
            !text.contains(SEND_API_KEY),
            "{path} leaks the send API key"
        );
        assert!(text.contains("****zdNL"));
    }
    if std::env::var("OMNIGATE_TEST_STORE").as_deref() == Ok("redis") {
        // The redis engine's own test reads Redis for the same promise.
        return;
    }
    let db = std::fs::read(app.data.as_path().join("omnigate.db-wal")).unwrap();
    assert!(
        !db.windows(SEND_API_KEY.len())
            .any(|w| w == SEND_API_KEY.as_bytes()),
        "credentials are encrypted at rest"
    );
}

#[tokio::test]
async fn bad_channel_registrations_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"provider": "telegraph", "name": "x", "credentials": {}}),
            "unknown_provider",
        ),
        (
            json!({"provider": "naver_talktalk", "name": "x", "credentials": {"account_id": "wc8b1i"}}),
            "invalid_credentials",
        ),
        (
            json!({"provider": "naver_talktalk", "name": " ", "credentials": {"account_id": "wc8b1i", "send_api_key": "k"}}),
            "invalid_name",
        ),
        (
            json!({"provider": "naver_talktalk", "name": "x", "credentials": {"account_id": "wc8b1i", "send_api_key": "k"}, "settings": {"allowed_source_ips": ["nope"]}}),
            "invalid_settings",
        ),
        (
            json!({"provider": "naver_talktalk", "name": "x", "credentials": {"account_id": "wc8b1i", "send_api_key": "k"}, "colour": "red"}),
            "invalid_body",
        ),
    ];
    for (body, code) in cases {
        let (status, problem) = app.post("/v1/channels", body).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (422, Some(code)),
            "{problem}"
        );
    }
    let (_, list) = app.get("/v1/channels").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn approval_issues_the_webhook_url_brand_key_and_chat_url() {
    let app = spawn_with(|s| s.server.public_url = "https://omnigate.example.com/".into()).await;
    let ch = app.create_naver_channel().await;
    let id = ch["id"].as_str().unwrap();
    let (status, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(pending["state"], "pending");
    let url = pending["webhook_url"].as_str().unwrap();
    let key = url
        .strip_prefix("https://omnigate.example.com/hooks/")
        .expect("URL under the public base");
    assert!(key.len() >= 43, "the webhook key is unguessable: {key}");
    assert_eq!(pending["chat_url"], "https://talk.naver.com/wc8b1i");
    assert!(pending["brand_key"].as_str().unwrap().starts_with("brk_"));

    let (_, again) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(
        again["webhook_url"], pending["webhook_url"],
        "asking again while pending keeps the URL"
    );

    let (status, approved) = app
        .post(&format!("/v1/channels/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, approved["state"].as_str()),
        (200, Some("approved"))
    );
    let (status, problem) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
}

#[tokio::test]
async fn illegal_transitions_are_409_and_every_transition_is_recorded() {
    let app = spawn_app().await;
    let id = app.create_naver_channel().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for action in ["approve", "revoke"] {
        let (status, p) = app
            .post(&format!("/v1/channels/{id}/{action}"), json!({}))
            .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("invalid_transition")),
            "{action} from unverified"
        );
    }
    app.post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    let (status, p) = app
        .post(&format!("/v1/channels/{id}/reject"), json!({}))
        .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("reason_required")));
    let (status, rejected) = app
        .post(
            &format!("/v1/channels/{id}/reject"),
            json!({"reason": "wrong account"}),
        )
        .await;
    assert_eq!(
        (status, rejected["state"].as_str()),
        (200, Some("rejected"))
    );
    assert_eq!(rejected["state_reason"], "wrong account");
    app.post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    app.post(&format!("/v1/channels/{id}/approve"), json!({}))
        .await;
    let (status, revoked) = app
        .post(
            &format!("/v1/channels/{id}/revoke"),
            json!({"reason": "contract ended"}),
        )
        .await;
    assert_eq!((status, revoked["state"].as_str()), (200, Some("revoked")));

    let (_, history) = app.get(&format!("/v1/channels/{id}/history")).await;
    let steps: Vec<(String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["from"].as_str().unwrap().into(),
                h["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("unverified", "pending"),
        ("pending", "rejected"),
        ("rejected", "pending"),
        ("pending", "approved"),
        ("approved", "revoked"),
    ];
    assert_eq!(steps, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    let items = history["items"].as_array().unwrap();
    assert_eq!(items[1]["reason"], "wrong account");
    assert_eq!(items[4]["actor"], "admin");
    assert!(items[0]["at"].as_str().unwrap().ends_with('Z'));

    let (_, events) = app
        .get(&format!(
            "/v1/events?channel={id}&type=channel.state_changed"
        ))
        .await;
    assert_eq!(
        events["items"].as_array().unwrap().len(),
        5,
        "each transition is an event"
    );
}

#[tokio::test]
async fn channels_can_be_renamed_rekeyed_and_deleted_once_not_approved() {
    let app = spawn_app().await;
    let (id, _) = app.approved_naver_channel().await;
    let (status, patched) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/channels/{id}"),
            Some(
                json!({"name": "Store 2", "credentials": {"send_api_key": "ct_new_key_abcdefgh"}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"], "Store 2");
    assert_eq!(
        patched["credentials"]["account_id"], "wc8b1i",
        "unchanged fields are kept"
    );
    assert_eq!(patched["credentials"]["send_api_key"], "****efgh");

    let (status, p) = app
        .call(reqwest::Method::DELETE, &format!("/v1/channels/{id}"), None)
        .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("channel_active")));
    app.post(&format!("/v1/channels/{id}/revoke"), json!({}))
        .await;
    let (status, _) = app
        .call(reqwest::Method::DELETE, &format!("/v1/channels/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, p) = app.get(&format!("/v1/channels/{id}")).await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
}

/// The text of each `message.received` a helpdesk got.
async fn texts_received(helpdesk: &wiremock::MockServer, secret: &str) -> Vec<String> {
    received(helpdesk, secret)
        .await
        .iter()
        .filter(|p| p["type"] == "message.received")
        .map(|p| {
            p["data"]["message"]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn rejection_and_revocation_retire_the_webhook_url_and_drop_what_was_held() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(&helpdesk.uri(), json!({"event_types": ["message.*"]}))
        .await;
    let id = app.create_naver_channel().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    let first = pending["webhook_url"].as_str().unwrap().to_string();
    let resp = post_hook(&first, naver_text("visitor-1", "held, then rejected")).await;
    assert_eq!(resp.status(), 200, "a pending channel holds webhooks");
    app.post(
        &format!("/v1/channels/{id}/reject"),
        json!({"reason": "not our account"}),
    )
    .await;
    let resp = post_hook(&first, naver_text("visitor-1", "after the rejection")).await;
    assert_eq!(resp.status(), 404);

    let (_, again) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    let second = again["webhook_url"].as_str().unwrap().to_string();
    assert_ne!(second, first, "a new request brings a new key");
    let resp = post_hook(&first, naver_text("visitor-1", "old URL")).await;
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["code"], "unknown_webhook_key");
    let resp = post_hook(&second, naver_text("visitor-1", "held, then approved")).await;
    assert_eq!(resp.status(), 200);
    app.post(&format!("/v1/channels/{id}/approve"), json!({}))
        .await;
    let resp = post_hook(&second, naver_text("visitor-1", "approved")).await;
    assert_eq!(resp.status(), 200);
    // One conversation is delivered in order: once the last message is in, anything held
    // before it would have been delivered before it.
    let texts = eventually(15, "the approved channel's messages", || async {
        let texts = texts_received(&helpdesk, &secret).await;
        (texts.len() >= 2).then_some(texts)
    })
    .await;
    assert_eq!(texts, vec!["held, then approved", "approved"]);

    app.post(&format!("/v1/channels/{id}/revoke"), json!({}))
        .await;
    let resp = post_hook(&second, naver_text("visitor-1", "after the revocation")).await;
    assert_eq!(resp.status(), 404, "a revoked channel's key is retired");
    let (_, shown) = app.get(&format!("/v1/channels/{id}")).await;
    assert_eq!(shown["webhook_url"], Value::Null);
}

#[tokio::test]
async fn a_rotated_webhook_key_keeps_the_old_url_for_its_grace_period() {
    let app = spawn_app().await;
    let (id, first) = app.approved_naver_channel().await;
    let (status, rotated) = app
        .post(&format!("/v1/channels/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["webhook_url"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(rotated["state"], "approved");
    let until =
        chrono::DateTime::parse_from_rfc3339(rotated["previous_key_valid_until"].as_str().unwrap())
            .unwrap();
    let grace = until.signed_duration_since(chrono::Utc::now());
    assert!(
        grace > chrono::Duration::hours(23) && grace <= chrono::Duration::hours(24),
        "the default grace is 24 hours: {grace}"
    );
    for url in [&first, &second] {
        let resp = post_hook(url, naver_text("visitor-1", "hello")).await;
        assert_eq!(resp.status(), 200, "both keys work during the grace period");
    }
    let (_, shown) = app.get(&format!("/v1/channels/{id}")).await;
    assert_eq!(shown["webhook_url"], second.as_str());

    let (status, rotated) = app
        .post(
            &format!("/v1/channels/{id}/rotate-key"),
            json!({"grace_seconds": 0}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["previous_key_valid_until"], Value::Null);
    let third = rotated["webhook_url"].as_str().unwrap().to_string();
    for url in [&first, &second] {
        let resp = post_hook(url, naver_text("visitor-1", "hello")).await;
        assert_eq!(resp.status(), 404, "retired keys are refused");
    }
    let resp = post_hook(&third, naver_text("visitor-1", "hello")).await;
    assert_eq!(resp.status(), 200);

    let (status, problem) = app
        .post(
            &format!("/v1/channels/{id}/rotate-key"),
            json!({"grace_seconds": 604801}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("invalid_grace"))
    );
    let unverified = app.create_naver_channel().await;
    let (status, problem) = app
        .post(
            &format!(
                "/v1/channels/{}/rotate-key",
                unverified["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    let (status, _) = app
        .post("/v1/channels/chn_missing/rotate-key", json!({}))
        .await;
    assert_eq!(status, 404);
    let (_, shown) = app.get(&format!("/v1/channels/{id}")).await;
    assert_eq!(
        shown["webhook_url"],
        third.as_str(),
        "refusals changed nothing"
    );
}

#[tokio::test]
async fn channels_and_destinations_are_listed_in_pages() {
    let app = spawn_app().await;
    let mut channels = Vec::new();
    let mut destinations = Vec::new();
    for n in 0..3 {
        channels.push(
            app.create_naver_channel().await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let (id, _) = app
            .destination(&format!("https://helpdesk.example/in/{n}"), json!({}))
            .await;
        destinations.push(id);
    }
    for (path, ids) in [
        ("/v1/channels", &channels),
        ("/v1/destinations", &destinations),
    ] {
        let ids_of = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (status, first) = app.get(&format!("{path}?limit=2")).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(ids_of(&first), ids[..2].to_vec());
        assert_eq!(first["next"], ids[1].as_str());
        let (status, rest) = app.get(&format!("{path}?limit=2&after={}", ids[1])).await;
        assert_eq!(status, 200, "{rest}");
        assert_eq!(ids_of(&rest), ids[2..].to_vec());
        assert_eq!(rest["next"], Value::Null, "the last page");
        let (_, all) = app.get(path).await;
        assert_eq!(ids_of(&all), ids.to_vec(), "up to 50 by default");
        assert_eq!(all["next"], Value::Null);

        let (status, p) = app.get(&format!("{path}?after=nope_123")).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (400, Some("invalid_cursor")),
            "{p}"
        );
        for bad in ["limit=0", "limit=501", "limit=x", "colour=red"] {
            let (status, p) = app.get(&format!("{path}?{bad}")).await;
            assert_eq!(
                (status, p["code"].as_str()),
                (400, Some("invalid_query")),
                "{bad}: {p}"
            );
        }
    }
}

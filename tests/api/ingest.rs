//! Provider webhooks in: who is accepted, what is stored, what is refused.

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn the_five_core_naver_events_are_stored_normalized() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    for name in [
        "open.json",
        "send-text.json",
        "friend-set.json",
        "friend-cancel.json",
        "echo.json",
        "leave.json",
    ] {
        let resp = post_hook(&url, fixture("naver_talktalk", name)).await;
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(
            resp.content_length(),
            Some(0),
            "Naver reads a JSON body as a reply: the ack is empty"
        );
    }
    let events = events_of(&app, &id, "").await;
    let got: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        [
            "conversation.opened",
            "message.received",
            "contact.subscribed",
            "contact.unsubscribed",
            "message.echo",
            "conversation.closed"
        ]
    );
    let msg = &events[1]["data"];
    assert_eq!(
        msg["message"]["content"],
        json!({"type": "text", "text": "hello world"})
    );
    assert_eq!(
        msg["conversation"]["provider_ref"],
        "al-2eGuGr5WQOnco1_V-FQ"
    );
    assert!(msg["conversation"]["id"]
        .as_str()
        .unwrap()
        .starts_with("cnv_"));
    assert_eq!(msg["channel"]["provider"], "naver_talktalk");
    assert_eq!(
        events[0]["data"]["conversation"]["id"], msg["conversation"]["id"],
        "one conversation per Naver user"
    );
    assert_eq!(events[4]["data"]["message"]["origin"], "provider");
}

#[tokio::test]
async fn payloads_no_mapping_understands_are_acked_and_kept_raw() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    let unknown = naver("teleport", "u1", json!({"options": {"to": "mars"}}));
    assert_eq!(post_hook(&url, unknown.clone()).await.status(), 200);
    assert_eq!(
        post_hook(&url, "{\"event\": \"send\", trunc")
            .await
            .status(),
        200
    );
    let events = events_of(&app, &id, "&type=provider.unrecognized").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["data"]["provider_event"]["type"], "teleport");
    assert_eq!(
        events[0]["data"]["raw"]["options"]["to"], "mars",
        "the raw body is kept"
    );
    assert_eq!(events[1]["data"]["raw"], "{\"event\": \"send\", trunc");
}

#[tokio::test]
async fn provider_retries_are_deduplicated_by_message_id_never_by_content() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    let with_id = naver(
        "send",
        "u1",
        json!({"messageId": 30, "textContent": {"text": "ok"}}),
    );
    for _ in 0..2 {
        assert_eq!(post_hook(&url, with_id.clone()).await.status(), 200);
    }
    for _ in 0..2 {
        assert_eq!(post_hook(&url, naver_text("u1", "ok")).await.status(), 200);
    }
    let other_user = naver(
        "send",
        "u2",
        json!({"messageId": 30, "textContent": {"text": "ok"}}),
    );
    assert_eq!(post_hook(&url, other_user).await.status(), 200);
    let events = events_of(&app, &id, "&type=message.received").await;
    assert_eq!(
        events.len(),
        4,
        "one for messageId 30 of u1, two without an id, one for u2"
    );
}

#[tokio::test]
async fn unknown_keys_and_channels_that_are_not_open_get_404_and_store_nothing() {
    let app = spawn_app().await;
    let resp = post_hook(
        &format!("{}/hooks/not-a-key", app.base),
        naver_text("u1", "hi"),
    )
    .await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "unknown_webhook_key");

    let (id, url) = app.approved_naver_channel().await;
    app.post(&format!("/v1/channels/{id}/revoke"), json!({}))
        .await;
    assert_eq!(post_hook(&url, naver_text("u1", "hi")).await.status(), 404);
    app.post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    app.post(
        &format!("/v1/channels/{id}/reject"),
        json!({"reason": "no"}),
    )
    .await;
    assert_eq!(post_hook(&url, naver_text("u1", "hi")).await.status(), 404);
    assert_eq!(
        post_hook(&format!("{url}/transcript"), naver_text("u1", "hi"))
            .await
            .status(),
        404,
        "Naver has no topics"
    );
    assert!(events_of(&app, &id, "").await.is_empty());
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let app = spawn_with(|s| s.server.max_body_bytes = 1024).await;
    let (id, url) = app.approved_naver_channel().await;
    let big = naver_text("u1", &"가".repeat(2000));
    let resp = post_hook(&url, big).await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");
    assert!(events_of(&app, &id, "").await.is_empty());
    assert_eq!(
        post_hook(&url, naver_text("u1", "small")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_source_allow_list_refuses_other_addresses() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/channels/{id}"),
            Some(json!({"settings": {"allowed_source_ips": ["211.249.40.0/27"]}})),
        )
        .await;
    assert_eq!(status, 200);
    let resp = post_hook(&url, naver_text("u1", "hi")).await;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "source_not_allowed");
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/channels/{id}"),
        Some(json!({"settings": {"allowed_source_ips": ["127.0.0.0/8"]}})),
    )
    .await;
    assert_eq!(post_hook(&url, naver_text("u1", "hi")).await.status(), 200);
    assert_eq!(events_of(&app, &id, "").await.len(), 1);
}

#[tokio::test]
async fn events_are_listed_with_filters_and_a_cursor() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    for i in 0..5 {
        post_hook(&url, naver_text("u1", &format!("m{i}"))).await;
    }
    post_hook(&url, naver_text("u2", "other")).await;
    let (_, page) = app
        .get(&format!(
            "/v1/events?channel={id}&type=message.received&limit=3"
        ))
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let next = page["next"].as_str().unwrap();
    let (_, page2) = app
        .get(&format!(
            "/v1/events?channel={id}&type=message.received&limit=3&after={next}"
        ))
        .await;
    let texts: Vec<&str> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m3", "m4", "other"]);
    let conv = items[0]["data"]["conversation"]["id"].as_str().unwrap();
    let (_, by_conv) = app.get(&format!("/v1/events?conversation={conv}")).await;
    assert_eq!(by_conv["items"].as_array().unwrap().len(), 5);
    let event_id = items[0]["data"]["event_id"].as_str().unwrap();
    let (status, one) = app
        .get(&format!("/v1/events/{event_id}?include_raw=true"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["data"]["raw"]["textContent"]["text"], "m0");
    let (status, p) = app.get("/v1/events?after=evt_nope").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("invalid_cursor")));
}

async fn post_from(url: &str, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-forwarded-for", forwarded_for)
        .body(naver_text("u1", "via proxy"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_naver_preset_checks_the_address_the_proxy_saw() {
    let app = spawn_with(|s| s.server.trust_forwarded_for = true).await;
    let (id, url) = app.approved_naver_channel().await;
    let (status, ch) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/channels/{id}"),
            Some(json!({"settings": {"allowed_source_ips": ["naver_published_ranges"]}})),
        )
        .await;
    assert_eq!(status, 200, "{ch}");
    // The right-most entry is the one the proxy appended; the rest is client-supplied.
    assert_eq!(post_from(&url, "203.0.113.9, 211.249.68.10").await, 200);
    assert_eq!(post_from(&url, "211.249.68.10, 203.0.113.9").await, 403);
    assert_eq!(events_of(&app, &id, "").await.len(), 1);
    let (status, p) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/channels/{id}"),
            Some(json!({"settings": {"allowed_source_ips": ["everyone"]}})),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("invalid_settings"))
    );
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_for_headers_are_ignored() {
    let app = spawn_app().await;
    let (id, url) = app.approved_naver_channel().await;
    app.call(
        reqwest::Method::PATCH,
        &format!("/v1/channels/{id}"),
        Some(json!({"settings": {"allowed_source_ips": ["naver_published_ranges"]}})),
    )
    .await;
    assert_eq!(
        post_from(&url, "211.249.68.10").await,
        403,
        "a client cannot claim a Naver address"
    );
    assert!(events_of(&app, &id, "").await.is_empty());
}

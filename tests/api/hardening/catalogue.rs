//! The catalogue of bad input: each request gets its exact status and problem code, writes
//! nothing, and is counted in `omnigate_http_problems_total{code,status}`. Webhooks from a
//! verified channel that merely cannot be read are the exception the product contract makes:
//! they are acked and kept as `provider.unrecognized` (Naver blocks endpoints that fail).

use std::time::Duration;

use serde_json::json;

use super::support::*;
use crate::helpers::*;

fn deep(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_object(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_it_is_read_to_the_end() {
    let (_gw, app) = own_gateway(&[("OMNIGATE__SERVER__MAX_BODY_BYTES", "4096")]).await;
    let (channel, url) = app.approved_naver_channel().await;
    let path = url.trim_start_matches(&app.base).to_string();
    let before = problems(&app, "body_too_large", 413).await;
    // Declares 50 MB and sends 1 KB: the answer comes without waiting for the rest.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    );
    let answer = raw(
        &app.base,
        head.as_bytes(),
        &[b' '; 1024],
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"body_too_large\""), "{answer}");
    // Chunked, with no declared length: cut off at the limit.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = [b"400\r\n".as_slice(), &[b' '; 1024], b"\r\n"].concat();
    let answer = raw(
        &app.base,
        head.as_bytes(),
        &chunk.repeat(64),
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(problems(&app, "body_too_large", 413).await, before + 2.0);
    assert!(stored(&app, &channel).await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn an_admin_request_without_a_token_is_401_before_its_body_is_read() {
    let (_gw, app) = own_gateway(&[]).await;
    let before = problems(&app, "unauthorized", 401).await;
    let head = "POST /v1/channels HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\n";
    let answer = raw(&app.base, head.as_bytes(), b"{", Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("\"code\":\"unauthorized\""), "{answer}");
    assert_eq!(problems(&app, "unauthorized", 401).await, before + 1.0);
    let (_, list) = app.get("/v1/channels").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn admin_requests_with_no_wrong_or_lower_privilege_tokens_are_refused() {
    let (_gw, app) = own_gateway(&[]).await;
    let (status, minted) = app
        .post(
            "/v1/tokens",
            json!({"role": "helpdesk", "label": "Acme helpdesk"}),
        )
        .await;
    assert_eq!(status, 201, "{minted}");
    let helpdesk = minted["token"].as_str().unwrap().to_string();
    // The same request in scope/name words.
    let (status, other) = app
        .post(
            "/v1/tokens",
            json!({"scope": "helpdesk", "name": "Other desk"}),
        )
        .await;
    assert_eq!(
        (status, other["role"].as_str()),
        (201, Some("helpdesk")),
        "{other}"
    );
    let channel = json!({"provider": "naver_talktalk", "name": "Shop",
                         "credentials": {"account_id": "wc8b1i", "send_api_key": SEND_API_KEY}});
    let url = format!("{}/v1/channels", app.base);
    counted(&app, 401, "unauthorized", || {
        reqwest::Client::new().post(&url).json(&channel).send()
    })
    .await;
    counted(&app, 401, "unauthorized", || {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth("ogt_not-a-token")
            .json(&channel)
            .send()
    })
    .await;
    counted(&app, 401, "unauthorized", || {
        reqwest::Client::new()
            .post(&url)
            .header("authorization", format!("Basic {TOKEN}"))
            .json(&channel)
            .send()
    })
    .await;
    // A helpdesk token may read events and relay replies, never administer; a bad body does
    // not change which answer it gets.
    counted(&app, 403, "forbidden", || {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(&helpdesk)
            .json(&channel)
            .send()
    })
    .await;
    counted(&app, 403, "forbidden", || {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(&helpdesk)
            .header("content-type", "text/plain")
            .body("{nope")
            .send()
    })
    .await;
    for path in ["/v1/tokens", "/v1/destinations", "/v1/deliveries"] {
        counted(&app, 403, "forbidden", || {
            reqwest::Client::new()
                .get(format!("{}{path}", app.base))
                .bearer_auth(&helpdesk)
                .send()
        })
        .await;
    }
    let events = reqwest::Client::new()
        .get(format!("{}/v1/events", app.base))
        .bearer_auth(&helpdesk)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200, "a helpdesk token reads events");
    // A revoked token is refused at once.
    let id = minted["id"].as_str().unwrap();
    let (status, _) = app
        .call(reqwest::Method::DELETE, &format!("/v1/tokens/{id}"), None)
        .await;
    assert_eq!(status, 204);
    counted(&app, 401, "unauthorized", || {
        reqwest::Client::new()
            .get(format!("{}/v1/events", app.base))
            .bearer_auth(&helpdesk)
            .send()
    })
    .await;
    let (_, list) = app.get("/v1/channels").await;
    assert_eq!(list["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn malformed_admin_bodies_get_stable_codes_and_change_nothing() {
    let (_gw, app) = own_gateway(&[]).await;
    let url = format!("{}/v1/channels", app.base);
    let post = |content_type: &'static str, body: Vec<u8>| {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    counted(&app, 400, "invalid_json", || {
        post("application/json", b"{\"name\": \"\xff\xfe\"}".to_vec())
    })
    .await;
    counted(&app, 415, "unsupported_media_type", || {
        post("text/plain", b"{}".to_vec())
    })
    .await;
    // 10,000 deep: refused by shape at the top, by the parser's depth limit further in.
    counted(&app, 422, "invalid_body", || {
        post("application/json", deep(10_000).into_bytes())
    })
    .await;
    let nested = format!(
        r#"{{"provider":"naver_talktalk","name":"x","credentials":{}}}"#,
        deep_object(10_000)
    );
    counted(&app, 400, "invalid_json", || {
        post("application/json", nested.into_bytes())
    })
    .await;
    // Numbers out of every range.
    for account_id in ["18446744073709551616", "1e400", "-1", "1.5"] {
        let body = format!(
            r#"{{"kind":"chatwoot","base_url":"https://chat.example.com","account_id":{account_id},
                "inbox_id":1,"api_access_token":"t","inbox_secret":"s"}}"#
        );
        let status = if account_id == "1e400" { 400 } else { 422 };
        let code = if status == 400 {
            "invalid_json"
        } else {
            "invalid_account_id"
        };
        counted(&app, status, code, || {
            reqwest::Client::new()
                .post(format!("{}/v1/destinations", app.base))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
        })
        .await;
    }
    counted(&app, 400, "invalid_query", || {
        reqwest::Client::new()
            .get(format!(
                "{}/v1/events?limit=99999999999999999999999",
                app.base
            ))
            .bearer_auth(TOKEN)
            .send()
    })
    .await;
    for path in ["/v1/channels", "/v1/destinations"] {
        let (_, list) = app.get(path).await;
        assert_eq!(list["items"], json!([]), "{path}: nothing was created");
    }
}

#[tokio::test]
async fn unknown_and_revoked_webhook_keys_are_404_and_store_nothing() {
    let (_gw, app) = own_gateway(&[]).await;
    let helpdesk = helpdesk_ok().await;
    let (dst, _) = app.destination(&helpdesk.uri(), json!({})).await;
    let unknown = format!("{}/hooks/not-a-key", app.base);
    counted(&app, 404, "unknown_webhook_key", || {
        post_hook(&unknown, naver_text("u", "hi"))
    })
    .await;
    let (channel, url) = app.approved_naver_channel().await;
    let (status, _) = app
        .post(
            &format!("/v1/channels/{channel}/revoke"),
            json!({"reason": "key leaked"}),
        )
        .await;
    assert_eq!(status, 200);
    counted(&app, 404, "unknown_webhook_key", || {
        post_hook(&url, naver_text("u", "after revoke"))
    })
    .await;
    assert!(stored(&app, &channel).await.is_empty());
    // What the destination was sent is the channel's three state changes (pending, approved,
    // revoked), all settled, and nothing else.
    let settled = app.settled_deliveries(&dst).await;
    let kinds: Vec<_> = settled
        .iter()
        .map(|d| d["event_type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["channel.state_changed"; 3], "{settled:?}");
    let received = helpdesk.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    assert!(
        received
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("after revoke")),
        "the helpdesk received nothing from the revoked channel"
    );
}

#[tokio::test]
async fn forged_missing_stale_and_future_signatures_are_401_and_store_nothing() {
    let (_gw, app) = own_gateway(&[]).await;
    let (channel, url) = chatwoot_channel(&app).await;
    let body = chatwoot_fixture();
    let cases: [(Option<&str>, i64, &str); 5] = [
        (None, now(), "signature_missing"),
        (Some("cw-some-other-secret"), now(), "signature_invalid"),
        (Some(""), now(), "signature_invalid"),
        (
            Some(CHATWOOT_SECRET),
            now() - 3600,
            "timestamp_out_of_window",
        ),
        (
            Some(CHATWOOT_SECRET),
            now() + 3600,
            "timestamp_out_of_window",
        ),
    ];
    for (i, (secret, ts, code)) in cases.into_iter().enumerate() {
        let delivery = format!("forged-{i}");
        counted(&app, 401, code, || {
            chatwoot_post(&url, &body, secret, ts, &delivery)
        })
        .await;
    }
    // A signature over other bytes than those sent.
    let ts = now().to_string();
    counted(&app, 401, "signature_invalid", || {
        reqwest::Client::new()
            .post(&url)
            .header("x-chatwoot-timestamp", &ts)
            .header("x-chatwoot-delivery", "tampered")
            .header(
                "x-chatwoot-signature",
                omnigate_chatwoot::signature(CHATWOOT_SECRET, &ts, b"{}"),
            )
            .body(body.clone())
            .send()
    })
    .await;
    assert!(stored(&app, &channel).await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_replayed_delivery_is_acked_and_stored_once() {
    let (_gw, app) = own_gateway(&[]).await;
    let (channel, url) = chatwoot_channel(&app).await;
    let body = chatwoot_fixture();
    for _ in 0..3 {
        let resp = chatwoot_post(&url, &body, Some(CHATWOOT_SECRET), now(), "delivery-1").await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(
        stored(&app, &channel).await.len(),
        1,
        "one event for one delivery"
    );
}

#[tokio::test]
async fn unreadable_bodies_from_a_verified_channel_are_acked_as_unrecognized() {
    let (_gw, app) = own_gateway(&[]).await;
    let (channel, url) = app.approved_naver_channel().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"event\":\"send\",\"user\":\"\xff\xfe\"}".to_vec(),
        deep(10_000).into_bytes(),
        br#"{"event":"send","user":"u","textContent":{"text":1e99999}}"#.to_vec(),
        b"event=send&user=u".to_vec(),
    ];
    for body in &bodies {
        let resp = reqwest::Client::new()
            .post(&url)
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            200,
            "acked, never 4xx for a verified channel"
        );
    }
    let events = stored(&app, &channel).await;
    assert_eq!(events.len(), bodies.len());
    assert!(events.iter().all(|e| e["type"] == "provider.unrecognized"));
}

#[tokio::test]
async fn oversized_headers_are_431() {
    let (_gw, app) = own_gateway(&[("OMNIGATE__SECURITY__MAX_HEADER_BYTES", "8192")]).await;
    let (channel, url) = app.approved_naver_channel().await;
    counted(&app, 431, "headers_too_large", || {
        reqwest::Client::new()
            .post(&url)
            .header("x-padding", "a".repeat(16 * 1024))
            .body(naver_text("u", "hi"))
            .send()
    })
    .await;
    // Past what the HTTP parser buffers (128 KiB), the connection answers 431 by itself.
    let path = url.trim_start_matches(&app.base).to_string();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\nContent-Length: 2\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let answer = raw(&app.base, head.as_bytes(), b"{}", Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
    assert!(stored(&app, &channel).await.is_empty());
}

#[tokio::test]
async fn destination_urls_with_a_user_or_password_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let before = problems(&app, "url_has_credentials", 422).await;
    for url in [
        "https://ops:hunter2-pass@helpdesk.example/in",
        "https://ops@helpdesk.example/in",
        "https://:hunter2-pass@helpdesk.example/in",
    ] {
        let (status, p) = app.post("/v1/destinations", json!({"url": url})).await;
        assert_eq!(
            (status, p["code"].as_str(), p["field"].as_str()),
            (422, Some("url_has_credentials"), Some("url")),
            "{url}: {p}"
        );
        assert!(!p.to_string().contains("hunter2"), "{p}");
    }
    let (status, p) = app
        .post(
            "/v1/destinations",
            json!({"kind": "chatwoot", "base_url": "https://bot:hunter2-pass@cw.example.com",
                   "account_id": 1, "inbox_id": 2, "api_access_token": "cw-token-123456789",
                   "allow_unsigned_callbacks": true}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str(), p["field"].as_str()),
        (422, Some("url_has_credentials"), Some("base_url")),
        "{p}"
    );
    let (_, list) = app.get("/v1/destinations").await;
    assert_eq!(list["items"], json!([]), "nothing stored");

    let (id, _) = app
        .destination("https://helpdesk.example/in", json!({}))
        .await;
    let (status, p) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{id}"),
            Some(json!({"url": "https://ops:hunter2-pass@helpdesk.example/in"})),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("url_has_credentials"))
    );
    let (_, shown) = app.get(&format!("/v1/destinations/{id}")).await;
    assert_eq!(shown["url"], "https://helpdesk.example/in", "unchanged");
    assert_eq!(
        problems(&app, "url_has_credentials", 422).await,
        before + 5.0
    );
}

//! Flood control: a noisy webhook URL or API token gets 429 with `Retry-After` and a problem
//! code, nothing it sent past its limit is stored, and the others are not held back.

use serde_json::json;

use super::support::*;
use crate::helpers::*;

#[tokio::test]
async fn a_flooding_webhook_key_gets_429_and_other_keys_keep_working() {
    let (_gw, app) = own_gateway(&[
        ("OMNIGATE__SECURITY__WEBHOOK_RATE_PER_SECOND", "1"),
        ("OMNIGATE__SECURITY__WEBHOOK_BURST", "3"),
    ])
    .await;
    let (noisy, noisy_url) = app.approved_naver_channel().await;
    let (quiet, quiet_url) = app.approved_naver_channel().await;
    let before = problems(&app, "rate_limited", 429).await;
    let mut accepted = 0;
    let mut limited = 0;
    for i in 0..10 {
        let resp = post_hook(&noisy_url, naver_text("u", &format!("flood {i}"))).await;
        match resp.status().as_u16() {
            200 => accepted += 1,
            429 => {
                limited += 1;
                let wait: u64 = resp.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=2).contains(&wait), "Retry-After {wait}");
                let body: serde_json::Value = resp.json().await.unwrap();
                assert_eq!(body["code"], "rate_limited");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (3..=4).contains(&accepted),
        "the burst is let through: {accepted}"
    );
    assert!(limited >= 6, "the rest is refused: {limited}");
    assert_eq!(
        problems(&app, "rate_limited", 429).await,
        before + limited as f64
    );
    let quiet_resp = post_hook(&quiet_url, naver_text("v", "still heard")).await;
    assert_eq!(quiet_resp.status(), 200, "another channel is not held back");
    assert_eq!(
        stored(&app, &noisy).await.len(),
        accepted,
        "refused ones are not stored"
    );
    assert_eq!(stored(&app, &quiet).await.len(), 1);
}

#[tokio::test]
async fn a_flooding_api_token_gets_429_and_other_tokens_keep_working() {
    let app = spawn_with(|s| {
        s.security.api_rate_per_second = 1;
        s.security.api_burst = 4;
    })
    .await;
    let (status, minted) = app
        .post("/v1/tokens", json!({"role": "helpdesk", "label": "Acme"}))
        .await;
    assert_eq!(status, 201, "{minted}");
    let helpdesk = minted["token"].as_str().unwrap().to_string();
    let mut limited = None;
    for _ in 0..10 {
        let resp = app
            .http
            .get(format!("{}/v1/channels", app.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    let resp = limited.expect("the admin token is limited");
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    let other = app
        .http
        .get(format!("{}/v1/events", app.base))
        .bearer_auth(&helpdesk)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another token is not held back");
}

#[tokio::test]
async fn junk_never_spends_a_callback_url_s_rate_and_verified_floods_get_429() {
    let app = spawn_with(|s| {
        s.security.webhook_rate_per_second = 1;
        s.security.webhook_burst = 2;
    })
    .await;
    let (status, d) = app
        .post(
            "/v1/destinations",
            json!({"kind": "chatwoot", "base_url": "http://127.0.0.1:9", "account_id": 1,
                   "inbox_id": 1, "api_access_token": "t", "inbox_secret": "s3cret"}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    let callback = d["callback_url"].as_str().unwrap().to_string();
    let wrong_secret = format!("{}x", callback);
    let client = reqwest::Client::new();
    let signed = |sig_secret: &'static str| {
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = omnigate_chatwoot::signature(sig_secret, &ts, b"{}");
        client
            .post(&callback)
            .header("content-type", "application/json")
            .header("X-Chatwoot-Timestamp", ts)
            .header("X-Chatwoot-Signature", sig)
            .body("{}")
    };
    // A flood of junk: unsigned, forged, and to a wrong callback secret. None of it is counted.
    let mut junk = Vec::new();
    for _ in 0..10 {
        junk.push(
            client
                .post(&callback)
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
        junk.push(signed("forged").send().await.unwrap().status().as_u16());
        junk.push(
            client
                .post(&wrong_secret)
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(junk, [401, 401, 404].repeat(10));
    // Real callbacks still get through: the burst is theirs whole.
    for n in 0..2 {
        let resp = signed("s3cret").send().await.unwrap();
        assert_eq!(resp.status(), 200, "verified callback {n}");
    }
    // Verified callbacks are what counts: a flood of them is refused.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(signed("s3cret").send().await.unwrap().status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let resp = client.post(&callback).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 401, "junk is answered as junk, not as 429");
}

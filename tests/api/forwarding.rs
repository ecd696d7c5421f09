//! What the helpdesk receives: signed Standard Webhooks, filtered, in order per conversation.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_helpdesk_receives_each_naver_event_signed_and_in_order() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (dst, secret) = app
        .destination(
            &format!("{}/omnigate", helpdesk.uri()),
            json!({"event_types": ["*"]}),
        )
        .await;
    assert!(dst.starts_with("dst_"));
    assert!(secret.starts_with("whsec_"));
    let (_, url) = app.approved_naver_channel().await;
    for name in [
        "open.json",
        "send-text.json",
        "friend-set.json",
        "friend-cancel.json",
        "echo.json",
        "leave.json",
    ] {
        assert_eq!(
            post_hook(&url, fixture("naver_talktalk", name))
                .await
                .status(),
            200
        );
    }
    let got = wait_received(&helpdesk, &secret, 8).await; // six events and two state changes
    let got: Vec<_> = got
        .into_iter()
        .filter(|p| p["type"] != "channel.state_changed")
        .collect();
    assert_eq!(got.len(), 6, "each event exactly once");
    // Order is kept per conversation; the echo fixture is another user's conversation.
    let conversation = got[0]["data"]["conversation"]["id"].clone();
    assert!(conversation.is_string(), "{}", got[0]);
    let (mine, other): (Vec<_>, Vec<_>) = got
        .into_iter()
        .partition(|p| p["data"]["conversation"]["id"] == conversation);
    assert_eq!(
        types(&mine),
        [
            "conversation.opened",
            "message.received",
            "contact.subscribed",
            "contact.unsubscribed",
            "conversation.closed"
        ]
    );
    assert_eq!(types(&other), ["message.echo"]);
    let got = mine;
    let req = helpdesk
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.body.windows(11).any(|w| w == b"hello world"))
        .unwrap();
    let id = req.headers.get("webhook-id").unwrap().to_str().unwrap();
    assert_eq!(got[1]["data"]["event_id"], id, "webhook-id is the event id");
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    assert!(got[1]["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(
        got[1]["data"].get("raw").is_none(),
        "no raw payload unless asked"
    );

    // The gateway records each outcome after the helpdesk answered: wait for the last one.
    eventually(10, "every delivery recorded as delivered", || async {
        let delivered = app
            .deliveries(&format!("destination={dst}&status=delivered"))
            .await;
        (delivered.len() == 8).then_some(())
    })
    .await;
    assert!(app.deliveries("status=pending").await.is_empty());
}

/// An event that arrives while its conversation's worker is just finishing must not wait for
/// the worker's lease to run out (32 s here): it is delivered at once, every time.
#[tokio::test]
async fn an_event_arriving_as_its_lane_finishes_is_delivered_at_once() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    app.destination(
        &helpdesk.uri(),
        json!({"event_types": ["message.received"]}),
    )
    .await;
    let (_, url) = app.approved_naver_channel().await;
    for round in 1..=20usize {
        for _ in 0..3 {
            assert_eq!(
                post_hook(&url, fixture("naver_talktalk", "send-text.json"))
                    .await
                    .status(),
                200
            );
        }
        let want = round * 3;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let got = helpdesk.received_requests().await.unwrap_or_default().len();
            if got >= want {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: {got} of {want} delivered after 3 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn destinations_get_only_what_their_filters_take_with_raw_when_asked() {
    let app = spawn_app().await;
    let (ch_a, url_a) = app.approved_naver_channel().await;
    let (_, url_b) = app.approved_naver_channel().await;
    let messages = helpdesk_ok().await;
    let (dst_m, secret_m) = app
        .destination(
            &messages.uri(),
            json!({"event_types": ["message.*"], "channels": [ch_a], "include_raw": true}),
        )
        .await;
    let everything = helpdesk_ok().await;
    let (dst_e, secret_e) = app.destination(&everything.uri(), json!({})).await;

    post_hook(&url_a, fixture("naver_talktalk", "open.json")).await;
    post_hook(&url_a, fixture("naver_talktalk", "send-text.json")).await;
    post_hook(&url_b, fixture("naver_talktalk", "send-text.json")).await;
    post_hook(&url_a, fixture("naver_talktalk", "echo.json")).await;

    let all = wait_received(&everything, &secret_e, 4).await;
    assert_eq!(all.len(), 4);
    let got = wait_received(&messages, &secret_m, 2).await;
    assert_eq!(types(&got), ["message.received", "message.echo"]);
    assert_eq!(got[0]["data"]["raw"]["textContent"]["text"], "hello world");
    // Every event was queued for the destinations that take it as it was stored: once those
    // deliveries are settled, nothing else is on its way.
    assert_eq!(app.settled_deliveries(&dst_e).await.len(), 4);
    assert_eq!(app.settled_deliveries(&dst_m).await.len(), 2);
    assert_eq!(
        messages.received_requests().await.unwrap().len(),
        2,
        "nothing else arrives"
    );

    let (status, p) = app
        .post(
            "/v1/destinations",
            json!({"url": "ftp://x", "event_types": ["*"]}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_url")));
    let (status, p) = app
        .post(
            "/v1/destinations",
            json!({"url": "http://x", "event_types": ["message.nope"]}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("invalid_event_types"))
    );
    let (status, p) = app
        .post(
            "/v1/destinations",
            json!({"url": "http://x", "channels": ["chn_nope"]}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("unknown_channel")));
}

#[tokio::test]
async fn webhooks_for_a_pending_channel_are_held_until_it_is_approved() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (dst, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, approved) = app.approved_naver_channel().await;
    let ch = app.create_naver_channel().await;
    let id = ch["id"].as_str().unwrap();
    let (_, pending) = app
        .post(&format!("/v1/channels/{id}/approval-request"), json!({}))
        .await;
    let url = pending["webhook_url"].as_str().unwrap();
    for text in ["first", "second"] {
        assert_eq!(post_hook(url, naver_text("u1", text)).await.status(), 200);
    }
    let (_, events) = app
        .get(&format!("/v1/events?channel={id}&type=message.received"))
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 2, "stored");
    // A message of an approved channel, sent after them, is delivered; the held ones are not
    // even queued.
    assert_eq!(
        post_hook(&approved, naver_text("u2", "approved"))
            .await
            .status(),
        200
    );
    let delivered = app.settled_deliveries(&dst).await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(
        got.iter()
            .map(|p| p["data"]["message"]["content"]["text"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["approved"],
        "held while pending"
    );

    app.post(&format!("/v1/channels/{id}/approve"), json!({}))
        .await;
    let got = wait_received(&helpdesk, &secret, 3).await;
    let texts: Vec<_> = got
        .iter()
        .map(|p| p["data"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["approved", "first", "second"]);
}

#[tokio::test]
async fn channel_state_changes_reach_the_helpdesk() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["channel.state_changed"]}),
        )
        .await;
    let (id, _) = app.approved_naver_channel().await;
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(got[0]["data"]["channel"]["id"], id);
    assert_eq!(got[0]["data"]["state_change"]["state"], "pending");
    assert_eq!(got[1]["data"]["state_change"]["state"], "approved");
}

#[tokio::test]
async fn a_disabled_destination_is_sent_nothing_new() {
    let app = spawn_app().await;
    let helpdesk = helpdesk_ok().await;
    let (dst, secret) = app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, url) = app.approved_naver_channel().await;
    post_hook(&url, naver_text("u1", "before")).await;
    wait_received(&helpdesk, &secret, 1).await;
    let (status, d) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{dst}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!((status, d["enabled"].as_bool()), (200, Some(false)));
    // Another destination, added now, gets the next message: it has been forwarded.
    let watcher = helpdesk_ok().await;
    let (_, watcher_secret) = app
        .destination(&watcher.uri(), json!({"event_types": ["message.received"]}))
        .await;
    post_hook(&url, naver_text("u1", "while disabled")).await;
    let seen = wait_received(&watcher, &watcher_secret, 1).await;
    assert_eq!(
        seen[0]["data"]["message"]["content"]["text"],
        "while disabled"
    );
    assert_eq!(
        app.settled_deliveries(&dst).await.len(),
        1,
        "nothing new is queued for a disabled destination"
    );
    assert_eq!(helpdesk.received_requests().await.unwrap().len(), 1);
    let (_, listed) = app.get(&format!("/v1/destinations/{dst}")).await;
    assert!(
        listed.get("secret").is_none(),
        "the secret is shown only at creation"
    );
    assert_eq!(listed["disabled_reason"], "disabled by an operator");
}

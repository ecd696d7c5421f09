//! Chatwoot as the helpdesk: Naver events written into a (fake) Chatwoot API-channel inbox, and
//! the agents' replies coming back through the inbox callback to Naver's send API (also fake).

use std::time::Duration;

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake_chatwoot::{FakeChatwoot, ACCESS_TOKEN, ACCOUNT, INBOX};
use crate::helpers::*;

const INBOX_SECRET: &str = "cw-inbox-secret-Xk29vLq8Rt5Yp3Nw";
const NAVER_OK: &str = r#"{"success":true,"resultCode":"00"}"#;

struct Setup {
    app: TestApp,
    chatwoot: FakeChatwoot,
    naver: MockServer,
    hook: String,
    destination: String,
    callback: String,
}

async fn setup_with(naver_answer: ResponseTemplate, extra: Value) -> Setup {
    let naver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(naver_answer)
        .mount(&naver)
        .await;
    setup_on(naver, extra).await
}

/// A gateway whose Naver API is `naver`, with a chatwoot destination and an approved channel.
async fn setup_on(naver: MockServer, extra: Value) -> Setup {
    let base = naver.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("naver_talktalk".into(), ProviderSettings { api_base: base });
        s.relay.retry_schedule = vec![Duration::ZERO, Duration::from_millis(100)];
    })
    .await;
    let chatwoot = FakeChatwoot::start().await;
    let mut body = json!({"kind": "chatwoot", "base_url": chatwoot.uri(), "account_id": ACCOUNT,
                          "inbox_id": INBOX, "api_access_token": ACCESS_TOKEN,
                          "inbox_secret": INBOX_SECRET});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, d) = app.post("/v1/destinations", body).await;
    assert_eq!(status, 201, "{d}");
    let (_, hook) = app.approved_naver_channel().await;
    Setup {
        destination: d["id"].as_str().unwrap().to_string(),
        callback: d["callback_url"].as_str().unwrap().to_string(),
        app,
        chatwoot,
        naver,
        hook,
    }
}

async fn setup() -> Setup {
    setup_with(
        ResponseTemplate::new(200).set_body_string(NAVER_OK),
        json!({}),
    )
    .await
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// An agent's public reply in conversation `display_id`, as Chatwoot's `message_created`.
fn agent_reply(display_id: u64, message_id: u64, text: &str) -> Value {
    json!({"event": "message_created", "id": message_id, "content": text,
           "message_type": "outgoing", "private": false, "content_type": "text",
           "created_at": "2026-11-22T05:00:00.000Z", "source_id": null,
           "sender": {"id": 1, "name": "Agent", "type": "user"},
           "inbox": {"id": INBOX, "name": "Naver"}, "account": {"id": ACCOUNT, "name": "Shop"},
           "conversation": {"id": display_id, "status": "open", "channel": "Channel::Api"}})
}

impl Setup {
    /// POSTs a callback as Chatwoot 4.13 does: signed with the inbox secret.
    async fn callback(&self, body: &Value, delivery: &str) -> (u16, Value) {
        let raw = body.to_string();
        let ts = now();
        let sig = omnigate_chatwoot::signature(INBOX_SECRET, &ts, raw.as_bytes());
        self.raw_callback(
            raw,
            &[
                ("X-Chatwoot-Delivery", delivery),
                ("X-Chatwoot-Timestamp", &ts),
                ("X-Chatwoot-Signature", &sig),
            ],
        )
        .await
    }

    async fn raw_callback(&self, raw: String, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .post(&self.callback)
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(raw).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Waits until the fake Chatwoot holds `n` messages.
    async fn chatwoot_messages(&self, n: usize) -> Vec<(u64, Value)> {
        let cw = self.chatwoot.clone();
        eventually(15, &format!("{n} Chatwoot messages"), || {
            let cw = cw.clone();
            async move {
                let m = cw.with(|s| s.messages.clone());
                (m.len() >= n).then_some(m)
            }
        })
        .await
    }

    async fn naver_bodies(&self, n: usize) -> Vec<Value> {
        let naver = &self.naver;
        eventually(15, &format!("{n} Naver calls"), || async move {
            let got = naver.received_requests().await.unwrap_or_default();
            (got.len() >= n).then(|| {
                got.iter()
                    .map(|r| serde_json::from_slice(&r.body).unwrap())
                    .collect::<Vec<Value>>()
            })
        })
        .await
    }

    async fn status_updates(&self, n: usize) -> Vec<(u64, u64, Value)> {
        let cw = self.chatwoot.clone();
        eventually(15, &format!("{n} status updates"), || {
            let cw = cw.clone();
            async move {
                let u = cw.with(|s| s.status_updates.clone());
                (u.len() >= n).then_some(u)
            }
        })
        .await
    }
}

#[tokio::test]
async fn a_chatwoot_destination_keeps_its_credentials_secret_and_names_bad_fields() {
    let app = spawn_app().await;
    let body = json!({"kind": "chatwoot", "base_url": "https://cw.example.com/", "account_id": 3,
                      "inbox_id": 7, "api_access_token": ACCESS_TOKEN, "inbox_secret": INBOX_SECRET});
    let (status, d) = app.post("/v1/destinations", body.clone()).await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["kind"], "chatwoot");
    assert_eq!(d["base_url"], "https://cw.example.com");
    assert_eq!(d["api_access_token"], "****4Tz8");
    assert_eq!(d["inbox_secret"], "****p3Nw");
    assert!(
        d.get("secret").is_none(),
        "no signing secret for a chatwoot destination"
    );
    assert_eq!(d["allow_unsigned_callbacks"], false);
    let id = d["id"].as_str().unwrap();
    let callback = d["callback_url"].as_str().unwrap();
    let secret = callback
        .rsplit_once(&format!("/v1/helpdesks/chatwoot/hooks/{id}/"))
        .map(|(_, secret)| secret)
        .unwrap_or_else(|| panic!("a callback URL with its own secret: {callback}"));
    assert!(secret.len() >= 43, "an unguessable secret: {secret}");
    let (_, shown) = app.get(&format!("/v1/destinations/{id}")).await;
    let text = shown.to_string();
    assert!(
        !text.contains(ACCESS_TOKEN) && !text.contains(INBOX_SECRET),
        "{text}"
    );
    // Nothing in the data directory holds the credentials in the clear.
    for entry in std::fs::read_dir(&app.data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        for secret in [ACCESS_TOKEN, INBOX_SECRET] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    let bad = |field: &str, value: Value| {
        let mut b = body.clone();
        if value.is_null() {
            b.as_object_mut().unwrap().remove(field);
        } else {
            b[field] = value;
        }
        b
    };
    for (body, code) in [
        (bad("base_url", Value::Null), "invalid_base_url"),
        (bad("base_url", json!("ftp://cw")), "invalid_base_url"),
        (bad("account_id", json!("three")), "invalid_account_id"),
        (bad("inbox_id", json!(0)), "invalid_inbox_id"),
        (
            bad("api_access_token", json!("")),
            "invalid_api_access_token",
        ),
        (bad("inbox_secret", Value::Null), "invalid_inbox_secret"),
        (bad("kind", json!("zendesk")), "invalid_kind"),
        (
            bad("url", json!("https://x.example")),
            "field_not_applicable",
        ),
    ] {
        let (status, problem) = app.post("/v1/destinations", body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["code"], code, "{problem}");
    }
    let (_, all) = app.get("/v1/destinations").await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        1,
        "nothing half-made"
    );
}

#[tokio::test]
async fn a_naver_conversation_round_trips_through_chatwoot() {
    let s = setup().await;
    assert_eq!(
        post_hook(&s.hook, naver_text("u1", "hello")).await.status(),
        200
    );
    assert_eq!(
        post_hook(&s.hook, naver_text("u1", "anyone?"))
            .await
            .status(),
        200
    );
    let messages = s.chatwoot_messages(2).await;
    let (contacts, conversations) = s
        .chatwoot
        .with(|st| (st.contacts.clone(), st.conversations.clone()));
    assert_eq!(contacts.len(), 1, "one contact per Naver user");
    assert_eq!(
        conversations.len(),
        1,
        "one conversation per omnigate conversation"
    );
    assert_eq!(conversations[0]["contact_id"], contacts[0]["id"]);
    assert_eq!(conversations[0]["inbox_id"], INBOX);
    let display_id = conversations[0]["id"].as_u64().unwrap();
    let texts: Vec<_> = messages
        .iter()
        .map(|(c, m)| (*c, m["content"].clone(), m["message_type"].clone()))
        .collect();
    assert_eq!(
        texts,
        [
            (display_id, json!("hello"), json!("incoming")),
            (display_id, json!("anyone?"), json!("incoming"))
        ]
    );

    let (status, body) = s
        .callback(
            &agent_reply(display_id, 901, "Your order ships today."),
            "d-1",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "queued");
    let sent = s.naver_bodies(1).await;
    assert_eq!(sent[0]["event"], "send");
    assert_eq!(sent[0]["user"], "u1");
    assert_eq!(sent[0]["textContent"]["text"], "Your order ships today.");
    let updates = s.status_updates(1).await;
    assert_eq!(
        updates[0],
        (display_id, 901, json!({"status": "delivered"}))
    );
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn a_reply_naver_refuses_shows_as_failed_in_chatwoot() {
    let s = setup_with(
        ResponseTemplate::new(200)
            .set_body_string(r#"{"success":false,"resultCode":"02","resultMessage":"blocked"}"#),
        json!({}),
    )
    .await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    s.callback(&agent_reply(1, 77, "hi"), "d-1").await;
    let updates = s.status_updates(1).await;
    assert_eq!(updates[0].1, 77);
    assert_eq!(updates[0].2["status"], "failed");
    assert!(
        updates[0].2["external_error"]
            .as_str()
            .unwrap()
            .contains("02"),
        "{updates:?}"
    );
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn duplicate_callbacks_are_relayed_once() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    let reply = agent_reply(1, 500, "once");
    assert_eq!(
        s.callback(&reply, "same-delivery").await.1["status"],
        "queued"
    );
    assert_eq!(
        s.callback(&reply, "same-delivery").await.1["status"],
        "duplicate"
    );
    // Chatwoot may also send the same message under a new delivery id.
    assert_eq!(s.callback(&reply, "other-delivery").await.0, 200);
    // A later reply in the same conversation is relayed after anything queued before it, so
    // once it has arrived a duplicate would have too.
    let later = agent_reply(1, 501, "after");
    assert_eq!(
        s.callback(&later, "later-delivery").await.1["status"],
        "queued"
    );
    let sent = s.naver_bodies(2).await;
    let texts: Vec<_> = sent
        .iter()
        .map(|b| b["textContent"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("once"), json!("after")]);
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn private_notes_and_omnigate_own_messages_are_not_relayed() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    let mine = s.chatwoot_messages(1).await[0].1["id"].as_u64().unwrap();
    let mut note = agent_reply(1, 600, "internal: check stock");
    note["private"] = json!(true);
    assert_eq!(
        s.callback(&note, "d-note").await.1["reason"],
        "private_note"
    );
    // The incoming message omnigate created, echoed back as `incoming`.
    let mut echo = agent_reply(1, mine, "hello");
    echo["message_type"] = json!("incoming");
    echo["sender"] = json!({"type": "contact"});
    assert_eq!(s.callback(&echo, "d-echo").await.1["status"], "ignored");
    // A message omnigate created and marked, even if it looked like an agent's.
    let marked = agent_reply(1, mine, "hello");
    assert_eq!(
        s.callback(&marked, "d-mine").await.1["reason"],
        "created_by_omnigate"
    );
    let typing = json!({"event": "conversation_typing_on", "conversation": {"id": 1}});
    assert_eq!(s.callback(&typing, "d-typing").await.1["status"], "ignored");
    // A later public reply is relayed after anything queued before it: it arrives alone.
    let public = agent_reply(1, 601, "public");
    assert_eq!(s.callback(&public, "d-public").await.1["status"], "queued");
    let sent = s.naver_bodies(1).await;
    let texts: Vec<_> = sent
        .iter()
        .map(|b| b["textContent"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("public")]);
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn unsigned_or_forged_callbacks_are_refused_unless_unsigned_is_allowed() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    let raw = agent_reply(1, 700, "hi").to_string();
    let (status, p) = s
        .raw_callback(raw.clone(), &[("X-Chatwoot-Delivery", "u-1")])
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("signature_missing")),
        "{p}"
    );
    let ts = now();
    let forged = omnigate_chatwoot::signature("not-the-secret", &ts, raw.as_bytes());
    let (status, p) = s
        .raw_callback(
            raw.clone(),
            &[
                ("X-Chatwoot-Timestamp", &ts),
                ("X-Chatwoot-Signature", &forged),
            ],
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("signature_invalid")),
        "{p}"
    );
    let old = (chrono::Utc::now().timestamp() - 600).to_string();
    let stale = omnigate_chatwoot::signature(INBOX_SECRET, &old, raw.as_bytes());
    let (status, p) = s
        .raw_callback(
            raw.clone(),
            &[
                ("X-Chatwoot-Timestamp", &old),
                ("X-Chatwoot-Signature", &stale),
            ],
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("timestamp_out_of_window")),
        "{p}"
    );

    // Chatwoot before 4.13: unsigned callbacks, accepted only when the destination says so.
    let (status, _) = s
        .app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/destinations/{}", s.destination),
            Some(json!({"allow_unsigned_callbacks": true, "inbox_secret": null})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, p) = s.raw_callback(raw, &[("X-Chatwoot-Delivery", "u-2")]).await;
    assert_eq!(
        (status, p["status"].as_str()),
        (200, Some("accepted")),
        "{p}"
    );
    // The same Chatwoot message, queued now and not a duplicate: none of the refused callbacks
    // queued it, and it is the one call Naver gets.
    assert_eq!(s.naver_bodies(1).await.len(), 1);
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn an_inbox_secret_always_requires_the_signature_and_unsigned_answers_tell_nothing() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    let unsigned = json!({"allow_unsigned_callbacks": true, "inbox_secret": null});
    let path = format!("/v1/destinations/{}", s.destination);
    let (status, _) = s
        .app
        .call(reqwest::Method::PATCH, &path, Some(unsigned))
        .await;
    assert_eq!(status, 200);
    // A conversation the destination knows and one it does not get the same answer.
    let known = s
        .raw_callback(agent_reply(1, 701, "hi").to_string(), &[])
        .await;
    let unknown = s
        .raw_callback(agent_reply(9999, 702, "hi").to_string(), &[])
        .await;
    assert_eq!(known, (200, json!({"status": "accepted"})));
    assert_eq!(unknown, known, "no conversation id is confirmed");
    s.naver_bodies(1).await;
    // The upgrade path: a secret added later, allow_unsigned_callbacks left as it was.
    let secret = json!({"inbox_secret": "new_inbox_SECRET_after_upgrade"});
    let (status, _) = s
        .app
        .call(reqwest::Method::PATCH, &path, Some(secret))
        .await;
    assert_eq!(status, 200);
    let (status, p) = s
        .raw_callback(
            agent_reply(1, 703, "verify at phish.example").to_string(),
            &[],
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("signature_missing")),
        "{p}"
    );
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn chatwoot_down_then_back_gets_everything_once() {
    let s = setup().await;
    s.chatwoot.set_down(true);
    post_hook(&s.hook, naver_text("u1", "first")).await;
    post_hook(&s.hook, naver_text("u1", "second")).await;
    let app = &s.app;
    eventually(10, "a failed attempt", || async {
        let failed = app
            .deliveries(&format!("destination={}&status=failed", s.destination))
            .await;
        (!failed.is_empty()).then_some(())
    })
    .await;
    s.chatwoot.set_down(false);
    let messages = s.chatwoot_messages(2).await;
    let texts: Vec<_> = messages.iter().map(|(_, m)| m["content"].clone()).collect();
    assert_eq!(texts, [json!("first"), json!("second")], "in order");
    // A replay writes nothing twice.
    replay_settled(app, &s.destination).await;
    s.chatwoot.with(|st| {
        assert_eq!(st.contacts.len(), 1);
        assert_eq!(st.conversations.len(), 1);
        assert_eq!(st.messages.len(), 2);
    });
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn a_refusal_that_will_not_change_is_dead_at_once_with_chatwoot_s_reason() {
    let s = setup_with(
        ResponseTemplate::new(200).set_body_string(NAVER_OK),
        json!({"api_access_token": "a-revoked-token"}),
    )
    .await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    let app = &s.app;
    let dead = eventually(10, "a dead delivery", || async {
        let dead = app
            .deliveries(&format!("destination={}&status=dead", s.destination))
            .await;
        dead.into_iter()
            .find(|d| d["event_type"] == "message.received")
    })
    .await;
    assert_eq!(dead["attempts"], 1, "{dead}");
    assert_eq!(dead["last_status_code"], 401);
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap()
            .contains("Invalid Access Token"),
        "{dead}"
    );
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn other_events_become_notes_and_a_resolved_chat_goes_back_to_naver_s_bot() {
    let s = setup().await;
    post_hook(
        &s.hook,
        naver("open", "u1", json!({"options": {"inflow": "list"}})),
    )
    .await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    let messages = s.chatwoot_messages(2).await;
    assert_eq!(messages[0].1["private"], true, "{:?}", messages[0]);
    assert!(messages[0].1["content"]
        .as_str()
        .unwrap()
        .contains("opened the chat"));
    assert_eq!(messages[1].1["message_type"], "incoming");

    s.chatwoot.resolve(1);
    let resolved = json!({"event": "conversation_status_changed", "id": 1, "status": "resolved"});
    assert_eq!(s.callback(&resolved, "d-res").await.1["status"], "queued");
    let sent = s.naver_bodies(1).await;
    assert_eq!(
        sent[0],
        json!({"event": "handover", "user": "u1", "options": {"control": "takeThread"}})
    );

    // The visitor writes again: the same conversation, open again.
    post_hook(&s.hook, naver_text("u1", "one more thing")).await;
    s.chatwoot_messages(3).await;
    s.chatwoot.with(|st| {
        assert_eq!(st.conversations.len(), 1);
        assert_eq!(st.conversations[0]["status"], "open");
    });
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn images_are_attached_when_they_can_be_fetched_and_linked_otherwise() {
    let s = setup().await;
    let files = MockServer::start().await;
    Mock::given(wiremock::matchers::path("/receipt.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x89, b'P', b'N', b'G']))
        .mount(&files)
        .await;
    let image = |url: String| naver("send", "u1", json!({"imageContent": {"imageUrl": url}}));
    post_hook(&s.hook, image(format!("{}/receipt.png", files.uri()))).await;
    post_hook(&s.hook, image(format!("{}/gone.png", files.uri()))).await;
    let messages = s.chatwoot_messages(2).await;
    assert_eq!(
        messages[0].1["attachments"],
        json!(["receipt.png:4"]),
        "{:?}",
        messages[0]
    );
    assert_eq!(messages[0].1["message_type"], "incoming");
    assert!(messages[1].1.get("attachments").is_none());
    assert!(messages[1].1["content"]
        .as_str()
        .unwrap()
        .contains("/gone.png"));
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn the_fake_chatwoot_refuses_what_its_openapi_file_does_not_describe() {
    let cw = FakeChatwoot::start().await;
    let http = reqwest::Client::new();
    let send = |path: &str, body: Value| {
        http.post(format!("{}/api/v1/accounts/{ACCOUNT}{path}", cw.uri()))
            .header("api_access_token", ACCESS_TOKEN)
            .json(&body)
            .send()
    };
    let missing_inbox = send("/contacts", json!({"name": "Alice"})).await.unwrap();
    assert_eq!(missing_inbox.status(), 400);
    let wrong_type = send("/conversations", json!({"source_id": 42}))
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);
    let unknown = send("/contacts/search", json!({})).await.unwrap();
    assert_eq!(unknown.status(), 400);
    let bad_enum = send(
        "/conversations/1/messages",
        json!({"content": "x", "message_type": "activity"}),
    )
    .await
    .unwrap();
    assert_eq!(bad_enum.status(), 400);
    // A field Chatwoot's file does not list for the body.
    let extra = send("/contacts", json!({"inbox_id": INBOX, "nickname": "Al"}))
        .await
        .unwrap();
    assert_eq!(extra.status(), 400);
    // The status update: its path shape, its account and its closed body are checked too.
    let patch = |path: String, body: Value| {
        http.patch(format!("{}{path}", cw.uri()))
            .header("api_access_token", ACCESS_TOKEN)
            .json(&body)
            .send()
    };
    let status_path =
        |account: u64, middle: &str| format!("/api/v1/accounts/{account}/{middle}/1/messages/2");
    let wrong_shape = patch(
        status_path(ACCOUNT, "contacts"),
        json!({"status": "failed"}),
    )
    .await
    .unwrap();
    assert_eq!(wrong_shape.status(), 400);
    let extra_field = patch(
        status_path(ACCOUNT, "conversations"),
        json!({"status": "failed", "reason": "x"}),
    )
    .await
    .unwrap();
    assert_eq!(extra_field.status(), 400);
    let bad_status = patch(
        status_path(ACCOUNT, "conversations"),
        json!({"status": "gone"}),
    )
    .await
    .unwrap();
    assert_eq!(bad_status.status(), 400);
    let other_account = patch(
        status_path(ACCOUNT + 1, "conversations"),
        json!({"status": "failed"}),
    )
    .await
    .unwrap();
    assert_eq!(other_account.status(), 404);
    let fine = patch(
        status_path(ACCOUNT, "conversations"),
        json!({"status": "failed"}),
    )
    .await
    .unwrap();
    assert_eq!(fine.status(), 200);
    assert_eq!(cw.with(|s| s.status_updates.len()), 1);
    assert_eq!(
        cw.with(|s| s.refused.len()),
        8,
        "{:?}",
        cw.with(|s| s.refused.clone())
    );
}

#[tokio::test]
async fn a_conversation_deleted_in_chatwoot_is_created_again_for_the_same_contact() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    s.chatwoot.with(|st| {
        st.conversations.clear();
        st.messages.clear();
    });
    post_hook(&s.hook, naver_text("u1", "still there?")).await;
    let messages = s.chatwoot_messages(1).await;
    s.chatwoot.with(|st| {
        assert_eq!(st.contacts.len(), 1, "the contact is kept");
        assert_eq!(st.conversations.len(), 1);
        assert_eq!(messages[0].0, st.conversations[0]["id"].as_u64().unwrap());
    });
    assert_eq!(messages[0].1["content"], "still there?");
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn a_reply_over_naver_s_limits_is_refused_and_marked_failed_in_chatwoot() {
    let s = setup().await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    let long = "가".repeat(10_001);
    let (status, body) = s.callback(&agent_reply(1, 88, &long), "d-long").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "refused", "{body}");
    assert_eq!(body["code"], "text_too_long");
    let updates = s.status_updates(1).await;
    assert_eq!((updates[0].0, updates[0].1), (1, 88));
    assert_eq!(updates[0].2["status"], "failed");
    assert!(s.naver.received_requests().await.unwrap().is_empty());
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn a_restarted_gateway_keeps_writing_into_the_same_chatwoot_conversation() {
    use crate::durability::gateway;
    let chatwoot = FakeChatwoot::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let gw = gateway(&dir, port).await;
    let (status, d) = gw
        .app()
        .post(
            "/v1/destinations",
            json!({"kind": "chatwoot", "base_url": chatwoot.uri(), "account_id": ACCOUNT,
                   "inbox_id": INBOX, "api_access_token": ACCESS_TOKEN,
                   "inbox_secret": INBOX_SECRET}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    let (_, hook) = gw.app().approved_naver_channel().await;
    post_hook(&hook, naver_text("u1", "before")).await;
    wait_count(&chatwoot, 1).await;
    assert!(gw.terminate().await.success());

    let gw = gateway(&dir, port).await;
    post_hook(&hook, naver_text("u1", "after")).await;
    wait_count(&chatwoot, 2).await;
    replay_settled(&gw.app(), d["id"].as_str().unwrap()).await;
    chatwoot.with(|s| {
        assert_eq!(s.contacts.len(), 1);
        assert_eq!(s.conversations.len(), 1);
        let texts: Vec<_> = s
            .messages
            .iter()
            .map(|(_, m)| m["content"].clone())
            .collect();
        assert_eq!(texts, [json!("before"), json!("after")]);
    });
    chatwoot.assert_nothing_refused();
}

/// Replays everything to `destination` and waits until every replayed delivery has settled, so
/// what the fake holds afterwards is final.
async fn replay_settled(app: &TestApp, destination: &str) {
    let query = format!("destination={destination}&limit=500");
    let before = app.deliveries(&query).await.len();
    let (status, r) = app
        .post(
            &format!("/v1/destinations/{destination}/replay"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 202, "{r}");
    let queued = r["queued"].as_u64().unwrap() as usize;
    assert!(queued > 0, "the replay queued something: {r}");
    eventually(20, "the replay to settle", || async {
        let all = app.deliveries(&query).await;
        let settled = all
            .iter()
            .all(|d| !matches!(d["status"].as_str(), Some("pending" | "failed")));
        (all.len() == before + queued && settled).then_some(())
    })
    .await;
}

async fn wait_count(chatwoot: &FakeChatwoot, n: usize) {
    eventually(20, &format!("{n} Chatwoot messages"), || async {
        (chatwoot.with(|s| s.messages.len()) >= n).then_some(())
    })
    .await
}

#[tokio::test]
async fn the_callback_url_needs_its_own_secret_and_rotating_it_retires_the_old_url() {
    let s = setup().await;
    let id = &s.destination;
    let post = |url: String, delivery: &'static str| {
        let raw = agent_reply(999, 1, "hello").to_string();
        let ts = now();
        let sig = omnigate_chatwoot::signature(INBOX_SECRET, &ts, raw.as_bytes());
        let http = s.app.http.clone();
        async move {
            let resp = http
                .post(url)
                .header("content-type", "application/json")
                .header("X-Chatwoot-Delivery", delivery)
                .header("X-Chatwoot-Timestamp", ts)
                .header("X-Chatwoot-Signature", sig)
                .body(raw)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, answer) = post(s.callback.clone(), "d-1").await;
    assert_eq!(status, 200, "{answer}");
    // The destination id alone, the old URL form, or a wrong secret: 404, nothing done.
    let base = &s.app.base;
    for url in [
        format!("{base}/v1/helpdesks/chatwoot/{id}/callback"),
        format!("{base}/v1/helpdesks/chatwoot/hooks/{id}/{id}"),
        format!("{base}/v1/helpdesks/chatwoot/hooks/{id}/not-the-secret"),
        format!("{base}/v1/helpdesks/chatwoot/hooks/{id}/"),
    ] {
        let (status, problem) = post(url.clone(), "d-2").await;
        assert_eq!(status, 404, "{url}: {problem}");
    }

    let (status, rotated) = s
        .app
        .post(
            &format!("/v1/destinations/{id}/rotate-callback-secret"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let fresh = rotated["callback_url"].as_str().unwrap().to_string();
    assert_ne!(fresh, s.callback);
    let (status, _) = post(s.callback.clone(), "d-3").await;
    assert_eq!(status, 404, "the old callback URL is retired");
    let (status, answer) = post(fresh.clone(), "d-4").await;
    assert_eq!(status, 200, "{answer}");
    let (_, shown) = s.app.get(&format!("/v1/destinations/{id}")).await;
    assert_eq!(shown["callback_url"], fresh.as_str());

    let (webhook, _) = s
        .app
        .destination("https://helpdesk.example/in", json!({}))
        .await;
    let (status, problem) = s
        .app
        .post(
            &format!("/v1/destinations/{webhook}/rotate-callback-secret"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("callback_not_supported"))
    );
    let (status, _) = s
        .app
        .post(
            "/v1/destinations/dst_nope/rotate-callback-secret",
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn callbacks_to_anything_but_a_chatwoot_destination_are_404_and_bad_json_is_400() {
    let s = setup().await;
    let (webhook, _) = s
        .app
        .destination("https://helpdesk.example/in", json!({}))
        .await;
    let secret = s.callback.rsplit_once('/').unwrap().1.to_string();
    for id in [webhook.as_str(), "dst_nope"] {
        let resp = s
            .app
            .http
            .post(format!(
                "{}/v1/helpdesks/chatwoot/hooks/{id}/{secret}",
                s.app.base
            ))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    let raw = "{not json".to_string();
    let ts = now();
    let sig = omnigate_chatwoot::signature(INBOX_SECRET, &ts, raw.as_bytes());
    let (status, p) = s
        .raw_callback(
            raw,
            &[
                ("X-Chatwoot-Timestamp", &ts),
                ("X-Chatwoot-Signature", &sig),
            ],
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (400, Some("invalid_json")),
        "{p}"
    );
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn a_reply_with_text_and_an_image_goes_out_in_parts_and_one_failure_shows() {
    let naver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"success":false,"resultCode":"02","resultMessage":"no"}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&naver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(NAVER_OK))
        .with_priority(2)
        .mount(&naver)
        .await;
    let s = setup_on(naver, json!({})).await;
    post_hook(&s.hook, naver_text("u1", "hello")).await;
    s.chatwoot_messages(1).await;
    let mut reply = agent_reply(1, 321, "Here is the label");
    reply["attachments"] = json!([{"id": 5, "file_type": "image",
                                   "data_url": "https://cw.example.com/rails/label.png"}]);
    assert_eq!(s.callback(&reply, "d-parts").await.1["status"], "queued");
    let sent = s.naver_bodies(2).await;
    assert_eq!(sent[0]["textContent"]["text"], "Here is the label");
    assert_eq!(
        sent[1]["imageContent"]["imageUrl"],
        "https://cw.example.com/rails/label.png"
    );
    // The agent's next reply is sent only once both parts are on record (one conversation's
    // replies go out in order), and its status comes back after a Naver and a Chatwoot call:
    // the image part's outcome, handled right after its record, is in by then.
    assert_eq!(
        s.callback(&agent_reply(1, 322, "Anything else?"), "d-next")
            .await
            .1["status"],
        "queued"
    );
    let updates = eventually(15, "the next reply's status", || async {
        let u = s.chatwoot.with(|st| st.status_updates.clone());
        u.iter().any(|(_, mid, _)| *mid == 322).then_some(u)
    })
    .await;
    let parts: Vec<_> = updates.iter().filter(|(_, mid, _)| *mid == 321).collect();
    assert_eq!(parts.len(), 1, "{updates:?}");
    assert_eq!(parts[0].2["status"], "failed");
    s.chatwoot.assert_nothing_refused();
}

#[tokio::test]
async fn chatwoot_api_calls_carry_the_request_id_of_the_webhook_that_brought_the_event() {
    let s = setup().await;
    let resp = s
        .app
        .http
        .post(&s.hook)
        .header("content-type", "application/json")
        .header("x-request-id", "naver-hook-77")
        .body(naver_text("u-rid", "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    s.chatwoot_messages(1).await;
    let requests = s.chatwoot.server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.headers.get("x-request-id").map(|v| v.to_str().unwrap()),
            Some("naver-hook-77"),
            "{} {}",
            r.method,
            r.url.path()
        );
    }
    s.chatwoot.assert_nothing_refused();
}

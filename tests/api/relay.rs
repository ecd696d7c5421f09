//! Helpdesk replies relayed through Naver's send API (a local fake), within its limits.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omnigate::config::ProviderSettings;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::*;

const OK: &str = r#"{"success":true,"resultCode":"00"}"#;

struct Relay {
    app: TestApp,
    naver: MockServer,
    conversation: String,
    channel: String,
    hook: String,
}

/// A gateway whose Naver API base is a local fake, with one approved channel and one
/// conversation (user "u1" said hello).
async fn relay_setup(naver_answer: ResponseTemplate) -> Relay {
    let naver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(naver_answer)
        .mount(&naver)
        .await;
    relay_with(naver).await
}

/// The same, with a fake Naver the test has already set up.
async fn relay_with(naver: MockServer) -> Relay {
    let base = naver.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("naver_talktalk".into(), ProviderSettings { api_base: base });
        s.relay.retry_schedule = vec![
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(100),
        ];
    })
    .await;
    let (channel, hook) = app.approved_naver_channel().await;
    assert_eq!(
        post_hook(&hook, naver_text("u1", "hello")).await.status(),
        200
    );
    let (_, events) = app
        .get(&format!(
            "/v1/events?channel={channel}&type=message.received"
        ))
        .await;
    let conversation = events["items"][0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    Relay {
        app,
        naver,
        conversation,
        channel,
        hook,
    }
}

impl Relay {
    async fn reply(&self, content: Value, key: Option<&str>) -> (u16, Value, bool) {
        let mut req = self
            .app
            .http
            .post(format!(
                "{}/v1/conversations/{}/messages",
                self.app.base, self.conversation
            ))
            .bearer_auth(TOKEN)
            .json(&json!({"content": content}));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.unwrap();
        let replayed = resp.headers().contains_key("idempotent-replayed");
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
            replayed,
        )
    }

    async fn settled(&self, id: &str) -> Value {
        eventually(15, "the reply to settle", || async {
            let (_, m) = self.app.get(&format!("/v1/messages/{id}")).await;
            matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
        })
        .await
    }

    async fn naver_bodies(&self) -> Vec<(String, Value)> {
        self.naver
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.url.path().to_string(),
                    serde_json::from_slice(&r.body).unwrap(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn a_text_reply_reaches_naver_with_the_key_as_issued_and_is_reported_delivered() {
    let r = relay_setup(ResponseTemplate::new(200).set_body_string(OK)).await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = r
        .app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.delivered"]}),
        )
        .await;
    let (status, m, _) = r
        .reply(
            json!({"type": "text", "text": "Your order ships today."}),
            None,
        )
        .await;
    assert_eq!(status, 202, "{m}");
    assert!(m["id"].as_str().unwrap().starts_with("msg_"));
    let done = r.settled(m["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "delivered");
    let reqs = r.naver.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.path(), "/chatbot/v1/event");
    assert_eq!(reqs[0].headers.get("authorization").unwrap(), SEND_API_KEY);
    assert_eq!(
        reqs[0].headers.get("content-type").unwrap(),
        "application/json;charset=UTF-8"
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        body,
        json!({"event": "send", "user": "u1", "textContent": {"text": "Your order ships today."}})
    );
    let got = wait_received(&helpdesk, &secret, 1).await;
    assert_eq!(got[0]["type"], "message.delivered");
    assert_eq!(got[0]["data"]["message"]["id"], m["id"]);
    assert_eq!(
        got[0]["data"]["conversation"]["id"].as_str(),
        Some(r.conversation.as_str())
    );
}

#[tokio::test]
async fn replies_over_naver_limits_are_refused_with_422_and_nothing_is_sent() {
    let r = relay_setup(ResponseTemplate::new(200).set_body_string(OK)).await;
    let cases = [
        (
            json!({"type": "text", "text": "x".repeat(10_001)}),
            "text_too_long",
        ),
        (
            json!({"type": "cards", "cards": [{"title": "t", "buttons": [{"type": "text", "title": "a button title that is long", "code": "c"}]}]}),
            "button_title_too_long",
        ),
        (
            json!({"type": "image", "url": "https://cdn.example.com/a.bmp"}),
            "image_format_not_supported",
        ),
        (
            json!({"type": "video", "url": "https://x"}),
            "invalid_content",
        ),
        // Naver's composite rule: a title or description, and two elements at least.
        (
            json!({"type": "cards", "cards": [{"image_url": "https://cdn.example.com/a.png"}]}),
            "empty_card",
        ),
        (
            json!({"type": "cards", "cards": [{"title": "only a title"}]}),
            "incomplete_card",
        ),
    ];
    for (content, code) in cases {
        let (status, p, _) = r.reply(content, None).await;
        assert_eq!((status, p["code"].as_str()), (422, Some(code)), "{p}");
    }
    // Replies to a conversation go out one at a time, in order: once a reply sent after the
    // refused ones is delivered, anything queued before it would have been sent already.
    let at_limit = "가".repeat(10_000);
    let (status, m, _) = r
        .reply(json!({"type": "text", "text": at_limit}), None)
        .await;
    assert_eq!(
        status, 202,
        "a text of exactly 10,000 characters is taken: {m}"
    );
    let done = r.settled(m["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "delivered", "{done}");
    let sent = r.naver_bodies().await;
    assert_eq!(
        sent.len(),
        1,
        "only the valid reply reached Naver: {sent:?}"
    );
    assert_eq!(sent[0].1["textContent"]["text"], json!(at_limit));
}

#[tokio::test]
async fn an_idempotency_key_never_sends_the_same_reply_twice() {
    let r = relay_setup(ResponseTemplate::new(200).set_body_string(OK)).await;
    let content = json!({"type": "text", "text": "once"});
    let (s1, first, replayed1) = r.reply(content.clone(), Some("reply-42")).await;
    let (s2, second, replayed2) = r.reply(content, Some("reply-42")).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["id"], second["id"]);
    assert!(!replayed1 && replayed2);
    r.settled(first["id"].as_str().unwrap()).await;
    let (status, p, _) = r
        .reply(
            json!({"type": "text", "text": "different"}),
            Some("reply-42"),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    // A later reply in the same conversation goes out after anything queued before it: once it
    // has settled, a second send of "once" (or a send of "different") would have shown.
    let (s3, later, _) = r
        .reply(json!({"type": "text", "text": "after"}), None)
        .await;
    assert_eq!(s3, 202);
    r.settled(later["id"].as_str().unwrap()).await;
    let texts: Vec<_> = r
        .naver_bodies()
        .await
        .iter()
        .map(|(_, b)| b["textContent"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("once"), json!("after")]);
}

#[tokio::test]
async fn temporary_failures_are_retried_and_permanent_ones_reported() {
    let naver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&naver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(OK))
        .up_to_n_times(1)
        .mount(&naver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"success":false,"resultCode":"01","resultMessage":"현재 이 사용자에게 메시지를 보낼 수 없음"}"#))
        .mount(&naver)
        .await;
    let r = relay_with(naver).await;
    let helpdesk = helpdesk_ok().await;
    let (_, secret) = r
        .app
        .destination(
            &helpdesk.uri(),
            json!({"event_types": ["message.delivered", "message.failed"]}),
        )
        .await;

    let (_, m, _) = r
        .reply(json!({"type": "text", "text": "first"}), None)
        .await;
    let done = r.settled(m["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["status"].as_str(), done["attempts"].as_i64()),
        (Some("delivered"), Some(2))
    );

    let (_, m2, _) = r
        .reply(json!({"type": "text", "text": "second"}), None)
        .await;
    let failed = r.settled(m2["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "naver_01");
    let got = wait_received(&helpdesk, &secret, 2).await;
    assert_eq!(types(&got), ["message.delivered", "message.failed"]);
    assert_eq!(got[1]["data"]["outcome"]["code"], "naver_01");
    assert_eq!(
        got[1]["data"]["outcome"]["message"],
        "현재 이 사용자에게 메시지를 보낼 수 없음"
    );
    assert_eq!(
        r.naver.received_requests().await.unwrap().len(),
        3,
        "503 retried once, 01 not retried"
    );
}

/// Records when each call arrived.
#[derive(Clone, Default)]
struct Clocked(Arc<Mutex<Vec<Instant>>>);

impl Respond for Clocked {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.lock().unwrap().push(Instant::now());
        ResponseTemplate::new(200).set_body_string(OK)
    }
}

#[tokio::test]
async fn a_burst_of_replies_is_delivered_completely_without_30_calls_in_any_3_seconds() {
    let naver = MockServer::start().await;
    let clock = Clocked::default();
    Mock::given(path("/chatbot/v1/event"))
        .respond_with(clock.clone())
        .mount(&naver)
        .await;
    let base = naver.uri();
    let app = spawn_with(move |s| {
        s.providers
            .insert("naver_talktalk".into(), ProviderSettings { api_base: base });
    })
    .await;
    let (channel, hook) = app.approved_naver_channel().await;
    let mut conversations = Vec::new();
    for user in ["a", "b", "c", "d"] {
        post_hook(&hook, naver_text(user, "hi")).await;
    }
    let (_, events) = app
        .get(&format!(
            "/v1/events?channel={channel}&type=message.received"
        ))
        .await;
    for e in events["items"].as_array().unwrap() {
        conversations.push(
            e["data"]["conversation"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let total = 100;
    for i in 0..total {
        let conv = &conversations[i % conversations.len()];
        let (status, _) = app
            .post(
                &format!("/v1/conversations/{conv}/messages"),
                json!({"content": {"type": "text", "text": format!("reply {i}")}}),
            )
            .await;
        assert_eq!(status, 202);
    }
    eventually(40, "every reply sent", || async {
        (clock.0.lock().unwrap().len() == total).then_some(())
    })
    .await;
    let times = clock.0.lock().unwrap().clone();
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_secs(3))
            .count();
        assert!(in_window < 30, "{in_window} calls within 3 s from call {i}");
    }
    let _ = &naver;
}

#[tokio::test]
async fn the_echo_of_a_relayed_reply_is_marked_as_omnigate_s_own() {
    let r = relay_setup(ResponseTemplate::new(200).set_body_string(OK)).await;
    let (_, m, _) = r
        .reply(json!({"type": "text", "text": "We are on it."}), None)
        .await;
    r.settled(m["id"].as_str().unwrap()).await;
    let echo = |text: &str| {
        naver(
            "echo",
            "u1",
            json!({"echoedEvent": "send", "textContent": {"text": text, "inputType": "typing"}}),
        )
    };
    post_hook(&r.hook, echo("We are on it.")).await;
    post_hook(&r.hook, echo("An agent typed this in Partner Center")).await;
    let (_, events) = r
        .app
        .get(&format!(
            "/v1/events?channel={}&type=message.echo",
            r.channel
        ))
        .await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items[0]["data"]["message"]["origin"], "omnigate");
    assert_eq!(items[0]["data"]["message"]["relayed_message_id"], m["id"]);
    assert_eq!(items[1]["data"]["message"]["origin"], "provider");
    let (_, msg) = r
        .app
        .get(&format!("/v1/messages/{}", m["id"].as_str().unwrap()))
        .await;
    assert_eq!(msg["echo_event_id"], items[0]["data"]["event_id"]);
}

#[tokio::test]
async fn images_can_be_uploaded_first_and_actions_are_sent_as_naver_events() {
    let naver = MockServer::start().await;
    Mock::given(path("/chatbot/v1/imageUpload"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"success":true,"resultCode":"00","imageId":"img-77"}"#),
        )
        .mount(&naver)
        .await;
    Mock::given(path("/chatbot/v1/event"))
        .respond_with(ResponseTemplate::new(200).set_body_string(OK))
        .mount(&naver)
        .await;
    let r = relay_with(naver).await;
    let (_, m, _) = r
        .reply(
            json!({"type": "image", "url": "https://cdn.example.com/menu.png", "upload": true}),
            None,
        )
        .await;
    assert_eq!(
        r.settled(m["id"].as_str().unwrap()).await["status"],
        "delivered"
    );
    let (_, t, _) = r.reply(json!({"type": "typing_on"}), None).await;
    r.settled(t["id"].as_str().unwrap()).await;
    let (_, h, _) = r.reply(json!({"type": "handover_pass"}), None).await;
    r.settled(h["id"].as_str().unwrap()).await;
    let bodies = r.naver_bodies().await;
    assert_eq!(
        bodies[0],
        (
            "/chatbot/v1/imageUpload".to_string(),
            json!({"imageUrl": "https://cdn.example.com/menu.png"})
        )
    );
    assert_eq!(bodies[1].1["imageContent"], json!({"imageId": "img-77"}));
    assert_eq!(
        bodies[2].1,
        json!({"event": "action", "user": "u1", "options": {"action": "typingOn"}})
    );
    assert_eq!(
        bodies[3].1,
        json!({"event": "handover", "user": "u1", "options": {"control": "passThread", "targetId": 1}})
    );
}

#[tokio::test]
async fn helpdesk_tokens_relay_but_cannot_administer_and_bad_targets_are_refused() {
    let r = relay_setup(ResponseTemplate::new(200).set_body_string(OK)).await;
    let (status, token) = r
        .app
        .post(
            "/v1/tokens",
            json!({"role": "helpdesk", "label": "Acme helpdesk"}),
        )
        .await;
    assert_eq!(status, 201);
    let helpdesk_token = token["token"].as_str().unwrap();
    let client = reqwest::Client::new();
    let resp = client
        .post(format!(
            "{}/v1/conversations/{}/messages",
            r.app.base, r.conversation
        ))
        .bearer_auth(helpdesk_token)
        .json(&json!({"content": {"type": "text", "text": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let resp = client
        .get(format!("{}/v1/channels", r.app.base))
        .bearer_auth(helpdesk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let (_, listed) = r.app.get("/v1/tokens").await;
    assert!(
        !listed.to_string().contains(helpdesk_token),
        "token values are never listed"
    );

    let resp = client
        .get(format!("{}/v1/providers", r.app.base))
        .bearer_auth(helpdesk_token)
        .send()
        .await
        .unwrap();
    let providers: Value = resp.json().await.unwrap();
    let naver = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "naver_talktalk")
        .unwrap()
        .clone();
    assert_eq!(naver["replies"], true);
    assert!(naver["content_types"]
        .as_array()
        .unwrap()
        .contains(&json!("text")));

    let (status, p) = r
        .app
        .post(
            "/v1/conversations/cnv_nope/messages",
            json!({"content": {"type": "text", "text": "x"}}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    r.app
        .post(&format!("/v1/channels/{}/revoke", r.channel), json!({}))
        .await;
    let (status, p, _) = r.reply(json!({"type": "text", "text": "x"}), None).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("channel_not_approved"))
    );
}

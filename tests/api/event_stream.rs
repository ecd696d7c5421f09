//! `GET /v1/events/stream`: new events as server-sent events, read as a browser's
//! `EventSource` or `omnigate events tail` reads them.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

/// A server-sent event stream being read.
pub struct Sse {
    resp: reqwest::Response,
    pending: Vec<u8>,
}

impl Sse {
    /// Opens the stream at `path` (with its query) with the admin token and extra headers.
    pub async fn open(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Sse {
        let mut req = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(TOKEN);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Sse {
            resp,
            pending: Vec::new(),
        }
    }

    /// The next event's (id, envelope); comments are skipped. Fails after 10 s.
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), self.read())
            .await
            .expect("an event within 10 s")
    }

    async fn read(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..end + 2).collect();
                let block = String::from_utf8(block).unwrap();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_string())
                };
                if let (Some(id), Some(data)) = (field("id:"), field("data:")) {
                    return (id, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = self
                .resp
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            self.pending.extend_from_slice(&chunk);
        }
    }
}

fn text(envelope: &Value) -> &str {
    envelope["data"]["message"]["content"]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_stream_shows_the_events_stored_after_it_opened_in_order() {
    let app = spawn_app().await;
    let (channel, hook) = app.approved_naver_channel().await;
    post_hook(&hook, naver_text("u1", "before")).await;
    let mut sse = Sse::open(
        &app,
        &format!("/v1/events/stream?channel={channel}&type=message.received"),
        &[],
    )
    .await;
    post_hook(&hook, naver_text("u1", "first")).await;
    post_hook(&hook, naver_text("u2", "second")).await;
    let (id1, first) = sse.next().await;
    let (id2, second) = sse.next().await;
    assert_eq!((text(&first), text(&second)), ("first", "second"));
    assert_eq!(first["data"]["event_id"], id1.as_str());
    assert_eq!(second["data"]["event_id"], id2.as_str());
    assert_eq!(first["data"]["channel"]["id"], channel.as_str());
    // The same envelope as the events API answers.
    let (status, shown) = app.get(&format!("/v1/events/{id1}")).await;
    assert_eq!(status, 200);
    assert_eq!(shown, first);
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_gets_what_was_stored_since() {
    let app = spawn_app().await;
    let (channel, hook) = app.approved_naver_channel().await;
    for t in ["one", "two", "three"] {
        post_hook(&hook, naver_text("u1", t)).await;
    }
    let stored = events_of(&app, &channel, "&type=message.received").await;
    let first = stored[0]["data"]["event_id"].as_str().unwrap();
    let mut sse = Sse::open(
        &app,
        "/v1/events/stream?type=message.received",
        &[("last-event-id", first)],
    )
    .await;
    assert_eq!(text(&sse.next().await.1), "two");
    assert_eq!(text(&sse.next().await.1), "three");
}

#[tokio::test]
async fn a_stream_filtered_by_channel_shows_no_other_channel() {
    let app = spawn_app().await;
    let (a, hook_a) = app.approved_naver_channel().await;
    let (_b, hook_b) = app.approved_naver_channel().await;
    let mut sse = Sse::open(&app, &format!("/v1/events/stream?channel={a}"), &[]).await;
    post_hook(&hook_b, naver_text("u1", "elsewhere")).await;
    post_hook(&hook_a, naver_text("u1", "here")).await;
    let (_, event) = sse.next().await;
    assert_eq!(text(&event), "here");
    assert_eq!(event["data"]["channel"]["id"], a.as_str());
}

#[tokio::test]
async fn a_malformed_stream_request_is_refused_with_its_problem() {
    let app = spawn_app().await;
    let (status, body) = app.get("/v1/events/stream?type=nonsense").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );
    let (status, body) = app.get("/v1/events/stream?after=evt_unknown").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
    let anonymous = reqwest::get(format!("{}/v1/events/stream", app.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn open_streams_count_as_open_requests_of_their_address_until_closed() {
    let app = spawn_with(|s| s.server.max_requests_per_source = 2).await;
    let first = Sse::open(&app, "/v1/events/stream", &[]).await;
    let _second = Sse::open(&app, "/v1/events/stream", &[]).await;
    let (status, body) = app.get("/v1/channels").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
    drop(first);
    eventually(
        15,
        "the closed stream's place to be freed (at its next keep-alive)",
        || async { (app.get("/v1/channels").await.0 == 200).then_some(()) },
    )
    .await;
}

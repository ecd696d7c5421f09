//! What the tests of the chat providers share beyond the harness: a refusal's status and code,
//! a conversation's id, and a relayed reply's final state.

use serde_json::{json, Value};

use crate::helpers::*;

/// A refused webhook's status and problem code.
pub async fn refused(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

/// The first stored event's conversation id on `channel`.
pub async fn first_conversation(app: &TestApp, channel: &str) -> String {
    events_of(app, channel, "").await[0]["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sends a text reply into `conversation`; returns the relayed message once it settled.
pub async fn reply_settled(app: &TestApp, conversation: &str, text: &str) -> Value {
    let (status, m) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"content": {"type": "text", "text": text}}),
        )
        .await;
    assert_eq!(status, 202, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    eventually(15, "the reply to settle", || async {
        let (_, m) = app.get(&format!("/v1/messages/{id}")).await;
        matches!(m["status"].as_str(), Some("delivered") | Some("failed")).then_some(m)
    })
    .await
}

/// The problem answered to a reply into `conversation` that cannot be queued.
pub async fn reply_refused(app: &TestApp, conversation: &str, content: Value) -> (u16, Value) {
    app.post(
        &format!("/v1/conversations/{conversation}/messages"),
        json!({ "content": content }),
    )
    .await
}

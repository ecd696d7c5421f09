//! One delivery into Chatwoot: the event's conversation is found or created (contact, contact
//! inbox, conversation; each remembered once created), then a visitor's message becomes an
//! `incoming` message and other events a private note. An event already written is not written
//! again, so retries, restarts and replays never duplicate anything in Chatwoot.

use std::time::Duration;

use serde_json::{json, Value};

use super::api::{id_of, Api, CallError, CallResult};
use super::bodies::{contact_body, incoming_text};
use super::{notes, LINK_CONTACT, LINK_CONVERSATION, LINK_MESSAGE, MARKER};
use crate::forwarder::AttemptError;
use crate::store::{DeliveryJob, Store, StoreError};

/// The largest image or file fetched to attach; larger ones are posted as links.
const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

static CONTACT_CREATION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a delivery came to when nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written into Chatwoot (or already written before).
    Done,
    /// Nothing to write for this event, by rule; the reason is recorded on the delivery
    /// (as `skipped: {reason}`).
    Skipped(&'static str),
}

pub struct Delivery<'a> {
    pub api: Api<'a>,
    pub store: &'a dyn Store,
    pub destination_id: &'a crate::domain::ids::DestinationId,
    /// What outbound calls may reach: attachment links naming inward addresses are refused.
    pub egress: &'a crate::egress::Egress,
}

fn store_error(e: StoreError) -> CallError {
    CallError::Retryable {
        status: None,
        retry_after: None,
        error: AttemptError::new("store_unavailable", e.to_string()),
    }
}

/// The rule for each event type; `None`: skipped, with the reason.
enum Plan {
    Incoming,
    Note,
    Skip(&'static str),
}

fn plan(event_type: &str, data: &Value) -> Plan {
    match event_type {
        "message.received" | "message.offline" if data.pointer("/message/content").is_some() => {
            Plan::Incoming
        }
        "message.echo"
            if data.pointer("/message/origin").and_then(Value::as_str) == Some("omnigate") =>
        {
            Plan::Skip("the echo of a reply relayed from Chatwoot")
        }
        "message.delivered" | "message.failed" => {
            Plan::Skip("relay outcomes are shown as the Chatwoot message's status")
        }
        "channel.state_changed" => Plan::Skip("channel state changes are not conversations"),
        "provider.unrecognized" => Plan::Skip("unrecognized provider payload"),
        _ => Plan::Note,
    }
}

impl Delivery<'_> {
    pub async fn run(&self, job: &DeliveryJob) -> CallResult<Written> {
        let event_type = job.envelope["type"].as_str().unwrap_or_default();
        let data = &job.envelope["data"];
        let plan = plan(event_type, data);
        if let Plan::Skip(reason) = plan {
            return Ok(Written::Skipped(reason));
        }
        let Some(conversation_id) = data.pointer("/conversation/id").and_then(Value::as_str) else {
            return Ok(Written::Skipped("the event belongs to no conversation"));
        };
        if self.link(LINK_MESSAGE, &job.event_id).await?.is_some() {
            return Ok(Written::Done);
        }
        let mut display_id = self.conversation(conversation_id, data, false).await?;
        let posted = match self.post(display_id, &plan, job, data).await {
            Err(CallError::NotFound { .. }) => {
                // Deleted in Chatwoot: the conversation is created again, and the event goes there.
                display_id = self.conversation(conversation_id, data, true).await?;
                self.post(display_id, &plan, job, data).await?
            }
            other => other?,
        };
        self.store
            .put_link(
                self.destination_id,
                LINK_MESSAGE,
                &job.event_id,
                &posted.to_string(),
                true,
            )
            .await
            .map_err(store_error)?;
        Ok(Written::Done)
    }

    async fn link(&self, kind: &str, key: &str) -> CallResult<Option<String>> {
        self.store
            .link(self.destination_id, kind, key)
            .await
            .map_err(store_error)
    }

    /// The Chatwoot conversation of an omnigate conversation, created (with its contact) on
    /// first use or when `fresh` is asked.
    async fn conversation(&self, id: &str, data: &Value, fresh: bool) -> CallResult<u64> {
        if !fresh {
            if let Some(known) = self
                .link(LINK_CONVERSATION, id)
                .await?
                .and_then(|v| v.parse().ok())
            {
                return Ok(known);
            }
        }
        let contact_id = self.contact(id, data).await?;
        let s = self.api.settings;
        let body = json!({
            "source_id": format!("{MARKER}{id}"),
            "inbox_id": s.inbox_id,
            "contact_id": contact_id,
            "status": "open",
            "additional_attributes": {
                "omnigate_conversation_id": id,
                "provider": data.pointer("/channel/provider"),
                "channel_id": data.pointer("/channel/id"),
                "provider_ref": data.pointer("/conversation/provider_ref"),
            },
        });
        let answer = self
            .api
            .post("create conversation", "/conversations", &body)
            .await?;
        let display_id = id_of(&answer).ok_or_else(|| CallError::Retryable {
            status: None,
            retry_after: None,
            error: AttemptError::new(
                "unexpected_answer",
                "the conversation create answer has no id",
            ),
        })?;
        self.store
            .put_link(
                self.destination_id,
                LINK_CONVERSATION,
                id,
                &display_id.to_string(),
                true,
            )
            .await
            .map_err(store_error)?;
        Ok(display_id)
    }

    /// The Chatwoot contact of the event's provider contact, created on first use.
    async fn contact(&self, conversation_id: &str, data: &Value) -> CallResult<u64> {
        let channel = data
            .pointer("/channel/id")
            .and_then(Value::as_str)
            .unwrap_or("-");
        let provider_ref = data
            .pointer("/contact/provider_ref")
            .or_else(|| data.pointer("/conversation/provider_ref"))
            .and_then(Value::as_str)
            .unwrap_or(conversation_id);
        let key = format!("{channel}:{provider_ref}");
        // One contact may have several conversations, each in its own lane: contact creation
        // is serialized, so two lanes never both create it (the second would be refused as a
        // duplicate identifier). It happens once per contact, so the lock costs nothing.
        let _creating = CONTACT_CREATION.lock().await;
        if let Some(known) = self
            .link(LINK_CONTACT, &key)
            .await?
            .and_then(|v| v.parse().ok())
        {
            return Ok(known);
        }
        let body = contact_body(self.api.settings, conversation_id, &key, data);
        let answer = self.api.post("create contact", "/contacts", &body).await?;
        let contact_id = id_of(&answer).ok_or_else(|| CallError::Retryable {
            status: None,
            retry_after: None,
            error: AttemptError::new("unexpected_answer", "the contact create answer has no id"),
        })?;
        self.store
            .put_link(
                self.destination_id,
                LINK_CONTACT,
                &key,
                &contact_id.to_string(),
                true,
            )
            .await
            .map_err(store_error)?;
        Ok(contact_id)
    }

    async fn post(
        &self,
        display_id: u64,
        plan: &Plan,
        job: &DeliveryJob,
        data: &Value,
    ) -> CallResult<u64> {
        let path = format!("/conversations/{display_id}/messages");
        let source_id = format!("{MARKER}{}", job.event_id);
        let event_type = job.envelope["type"].as_str().unwrap_or_default();
        let content = data
            .pointer("/message/content")
            .cloned()
            .unwrap_or(Value::Null);
        if matches!(plan, Plan::Incoming) {
            if let ("image" | "file", Some(url)) = (
                content["type"].as_str().unwrap_or(""),
                content["url"].as_str(),
            ) {
                if let Some((name, bytes)) = self.fetch(url).await {
                    let caption = content["caption"].as_str().unwrap_or_default().to_string();
                    let file_name = content["name"].as_str().map(str::to_string).unwrap_or(name);
                    let form = reqwest::multipart::Form::new()
                        .text("content", caption)
                        .text("message_type", "incoming")
                        .text("private", "false")
                        .text("source_id", source_id.clone())
                        .part(
                            "attachments[]",
                            reqwest::multipart::Part::bytes(bytes).file_name(file_name),
                        );
                    let answer = self
                        .api
                        .post_form("create message with attachment", &path, form)
                        .await?;
                    return message_id(&answer);
                }
            }
        }
        let body = match plan {
            Plan::Incoming => json!({
                "content": incoming_text(&content),
                "message_type": "incoming",
                "private": false,
                "content_type": "text",
                "source_id": source_id,
            }),
            _ => json!({
                "content": notes::note(event_type, data),
                "message_type": "outgoing",
                "private": true,
                "content_type": "text",
                "source_id": source_id,
            }),
        };
        let answer = self.api.post("create message", &path, &body).await?;
        message_id(&answer)
    }

    /// An attachment's bytes and file name, or `None` when it cannot be fetched (then it is
    /// posted as a link).
    async fn fetch(&self, url: &str) -> Option<(String, Vec<u8>)> {
        let parsed = reqwest::Url::parse(url).ok()?;
        // The link comes from a provider payload: an inward address is never fetched (names are
        // checked by the client's resolver).
        if !matches!(parsed.scheme(), "http" | "https")
            || !crate::egress::callable(&parsed, self.egress)
        {
            return None;
        }
        let name = parsed
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|s| !s.is_empty())
            .unwrap_or("attachment")
            .to_string();
        let mut resp = self
            .api
            .client
            .get(parsed)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .ok()?;
        if !resp.status().is_success()
            || resp
                .content_length()
                .is_some_and(|n| n as usize > MAX_ATTACHMENT)
        {
            return None;
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.ok()? {
            if body.len() + chunk.len() > MAX_ATTACHMENT {
                return None;
            }
            body.extend_from_slice(&chunk);
        }
        Some((name, body))
    }
}

fn message_id(answer: &Value) -> CallResult<u64> {
    id_of(answer).ok_or_else(|| CallError::Retryable {
        status: None,
        retry_after: None,
        error: AttemptError::new("unexpected_answer", "the message create answer has no id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_a_rule() {
        let msg = json!({"message": {"content": {"type": "text", "text": "hi"}}});
        assert!(matches!(plan("message.received", &msg), Plan::Incoming));
        assert!(matches!(
            plan("conversation.closed", &json!({})),
            Plan::Note
        ));
        assert!(matches!(
            plan("message.delivered", &json!({})),
            Plan::Skip(_)
        ));
        let echo = json!({"message": {"origin": "omnigate"}});
        assert!(matches!(plan("message.echo", &echo), Plan::Skip(_)));
        assert!(matches!(
            plan("message.echo", &json!({"message": {"origin": "provider"}})),
            Plan::Note
        ));
    }
}

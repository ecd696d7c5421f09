//! Filling in `conversation.newMessage`, which carries a thread id and a message id only:
//! `GET {base}/conversations/v3/conversations/threads/{threadId}/messages/{messageId}` with
//! `Authorization: Bearer <access_token>` answers a `PublicMessage`. An `INCOMING` message is
//! the visitor's (`message.received`, its sender the contact); anything else is the business
//! side's (`message.echo`, the agent's name in the detail), `origin: "omnigate"` when this
//! channel's own app sent it. Other kinds of thread messages (welcome, assignment, status
//! change) stay `provider.unrecognized`, now with their kind.

use omnigate_connector_core::fields::{id, text};
use omnigate_connector_core::{
    Contact, Content, Direction, EnrichContext, Enrichment, EventType, Message, Method,
    NormalizedEvent, ProviderCall,
};
use serde_json::{Map, Value};

use crate::config::{value, ACCESS_TOKEN};

const SUBSCRIPTION: &str = "conversation.newMessage";

fn detail_str(event: &NormalizedEvent, key: &str) -> Option<String> {
    id(event.provider_event.detail.get(key))
}

pub fn is_thin(event: &NormalizedEvent) -> bool {
    event.provider_event.kind == SUBSCRIPTION
        && event.provider_event.detail.get("thin") == Some(&Value::Bool(true))
}

pub fn call(ctx: &EnrichContext<'_>, event: &NormalizedEvent) -> Result<ProviderCall, Enrichment> {
    let token = value(ctx.credentials, ACCESS_TOKEN).ok_or_else(|| {
        Enrichment::refused(
            "channel_misconfigured",
            "the channel has no access_token to read the message with",
        )
    })?;
    let digits = |s: &String| s.chars().all(|c| c.is_ascii_digit());
    let thread = event.conversation_ref.as_ref().filter(|t| digits(t));
    // Message ids are hex strings: anything else is not put into a URL path.
    let message = detail_str(event, "messageId")
        .filter(|m| m.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let (Some(thread), Some(message)) = (thread, message) else {
        return Err(Enrichment::refused(
            "invalid_ids",
            "the event has no usable thread or message id",
        ));
    };
    Ok(ProviderCall {
        method: Method::Get,
        url: format!(
            "{}/conversations/v3/conversations/threads/{thread}/messages/{message}",
            ctx.api_base.trim_end_matches('/')
        ),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: Vec::new(),
    })
}

/// One side of the message: its actor id, name and e-mail where HubSpot gives them.
fn person(actor: Option<&Value>) -> Contact {
    let actor = actor.and_then(Value::as_object);
    let get = |k: &str| actor.and_then(|a| text(a.get(k)));
    let identifier = actor.and_then(|a| a.get("deliveryIdentifier"));
    let email = identifier
        .filter(|d| d.get("type").and_then(Value::as_str) == Some("HS_EMAIL_ADDRESS"))
        .and_then(|d| text(d.get("value")));
    let phone = identifier
        .filter(|d| d.get("type").and_then(Value::as_str) == Some("HS_PHONE_NUMBER"))
        .and_then(|d| text(d.get("value")));
    Contact {
        provider_ref: get("actorId"),
        name: get("name"),
        email,
        phone,
    }
}

fn content(m: &Map<String, Value>) -> Content {
    if let Some(t) = text(m.get("text")) {
        return Content::Text { text: t };
    }
    let file = m
        .get("attachments")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(|f| Some((text(f.get("url"))?, f))));
    match file {
        Some((url, f)) => Content::File {
            url,
            name: text(f.get("name")),
        },
        None => Content::Unsupported {
            provider_type: "MESSAGE".into(),
        },
    }
}

pub fn read(event: &NormalizedEvent, status: u16, body: &[u8]) -> Enrichment {
    if !(200..300).contains(&status) {
        return Enrichment::from_status(status, "HubSpot");
    }
    let Some(Value::Object(m)) = serde_json::from_slice::<Value>(body).ok() else {
        return Enrichment::refused("invalid_answer", "HubSpot's answer is not a JSON object");
    };
    let mut ev = event.clone();
    let detail = &mut ev.provider_event.detail;
    detail.remove("thin");
    detail.remove("reason");
    let kind = text(m.get("type")).unwrap_or_else(|| "MESSAGE".into());
    if kind != "MESSAGE" {
        detail.insert("message_kind".into(), Value::String(kind.clone()));
        detail.insert(
            "reason".into(),
            Value::String(format!(
                "a {kind} thread message, not a conversation message"
            )),
        );
        if kind == "COMMENT" {
            detail.insert("internal_note".into(), Value::Bool(true));
        }
        return Enrichment::Enriched(Box::new(ev));
    }
    let incoming = m.get("direction").and_then(Value::as_str) == Some("INCOMING");
    let sender = person(m.get("senders").and_then(|s| s.get(0)));
    if m.get("truncationStatus")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "NOT_TRUNCATED")
    {
        detail.insert("truncated".into(), Value::Bool(true));
    }
    let origin = if incoming {
        None
    } else {
        // A message the channel's own app posted is a reply omnigate relayed.
        let client = m.get("client");
        let by_app = client.and_then(|c| id(c.get("integrationAppId")));
        let own = by_app.is_some() && by_app == detail_str(event, "appId");
        Some(if own { "omnigate" } else { "provider" }.to_string())
    };
    if !incoming {
        // The agent's name and actor id; the contact is the visitor the message went to.
        if let Some(name) = &sender.name {
            detail.insert("sender_name".into(), Value::String(name.clone()));
        }
        if let Some(actor) = &sender.provider_ref {
            detail.insert("sender_actor_id".into(), Value::String(actor.clone()));
        }
    }
    let contact = if incoming {
        sender
    } else {
        person(m.get("recipients").and_then(|r| r.get(0)))
    };
    ev.event_type = if incoming {
        EventType::MessageReceived
    } else {
        EventType::MessageEcho
    };
    ev.contact = (contact != Contact::default()).then_some(contact);
    ev.message = Some(Message {
        id: id(m.get("id")).or_else(|| detail_str(event, "messageId")),
        direction: if incoming {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        content: content(&m),
        origin,
    });
    Enrichment::Enriched(Box::new(ev))
}

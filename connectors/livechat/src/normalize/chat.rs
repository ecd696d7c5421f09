//! `incoming_chat` (a chat came in with a new thread) and `chat_deactivated` (its thread was
//! closed).
//!
//! `incoming_chat` carries the whole chat, and the new thread's first events when the chat was
//! started with some (LiveChat's docs: "If the chat was started with some initial events, the
//! thread object contains them"). It becomes `conversation.opened`, followed by one message event
//! per `message` / `file` / `rich_message` in the thread, in order: otherwise the visitor's first
//! question would reach the helpdesk only if LiveChat also sent it as an `incoming_event`. If it
//! does, both share the key `event:{chat_id}:{event id}` and the second copy is dropped. Other
//! thread events (the pre-chat `filled_form`, system messages) are not messages; the form's name
//! and e-mail answers fill the contact when the customer's user record has none.

use omnigate_connector_core::{Contact, EventType, NormalizedEvent, ProviderEvent};
use serde_json::{json, Map, Value};

use super::author::{classify, Author};
use super::event::message;
use super::{key, text};

/// The customer: the first user of type `customer`, with the pre-chat form as a fallback.
fn customer(users: &[Value], events: &[Value]) -> Option<Contact> {
    let user = users
        .iter()
        .find(|u| u.get("type").and_then(Value::as_str) == Some("customer"));
    let answer = |kind: &str| {
        events
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("filled_form"))
            .filter_map(|e| e.get("fields").and_then(Value::as_array))
            .flatten()
            .filter(|f| f.get("type").and_then(Value::as_str) == Some(kind))
            // v3.6 calls the answer `answer`; older payloads `value`.
            .find_map(|f| text(f.get("answer")).or_else(|| text(f.get("value"))))
    };
    let contact = Contact {
        provider_ref: key(user.and_then(|u| u.get("id"))),
        name: text(user.and_then(|u| u.get("name"))).or_else(|| answer("name")),
        email: text(user.and_then(|u| u.get("email"))).or_else(|| answer("email")),
        phone: None,
    };
    (contact != Contact::default()).then_some(contact)
}

pub fn incoming_chat(p: &Map<String, Value>) -> Result<Vec<NormalizedEvent>, String> {
    let chat = p
        .get("chat")
        .and_then(Value::as_object)
        .ok_or("no \"chat\" object")?;
    let chat_id = key(chat.get("id")).ok_or("no usable \"chat.id\"")?;
    let users: &[Value] = chat
        .get("users")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    // The webhook has `thread`; the Agent Chat API's chat structure has `threads`.
    let thread = chat
        .get("thread")
        .or_else(|| chat.get("threads").and_then(Value::as_array)?.last())
        .and_then(Value::as_object);
    let thread_id = key(thread.and_then(|t| t.get("id")));
    let events: &[Value] = thread
        .and_then(|t| t.get("events"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let contact = customer(users, events);

    let mut detail = Map::new();
    if let Some(t) = &thread_id {
        detail.insert("thread_id".into(), json!(t));
    }
    let agents: Vec<Value> = users
        .iter()
        .filter(|u| u.get("type").and_then(Value::as_str) != Some("customer"))
        .map(|u| json!({"id": u.get("id"), "name": u.get("name"), "type": u.get("type")}))
        .collect();
    if !agents.is_empty() {
        detail.insert("agents".into(), Value::Array(agents));
    }
    let customer_user = users
        .iter()
        .find(|u| u.get("type").and_then(Value::as_str) == Some("customer"));
    // v3.6 calls the customer's current visit `visit`; older payloads `last_visit`.
    if let Some(visit) = customer_user.and_then(|u| u.get("visit").or_else(|| u.get("last_visit")))
    {
        detail.insert("visit".into(), visit.clone());
    }
    let mut out = vec![NormalizedEvent {
        event_type: EventType::ConversationOpened,
        conversation_ref: Some(chat_id.clone()),
        contact: contact.clone(),
        message: None,
        provider_event: ProviderEvent {
            kind: String::new(),
            id: thread_id.clone(),
            detail,
        },
        dedup_key: thread_id
            .as_ref()
            .map(|t| format!("incoming_chat:{chat_id}:{t}")),
    }];
    for ev in events.iter().filter_map(Value::as_object) {
        let kind = ev.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("message" | "file" | "rich_message")) {
            continue;
        }
        // A first message whose author cannot be told apart is kept as unrecognized, in place.
        let mut normalized = message(&chat_id, thread_id.as_deref(), ev, Some(users))
            .unwrap_or_else(|reason| {
                let mut u = NormalizedEvent::unrecognized("incoming_chat", reason);
                u.conversation_ref = Some(chat_id.clone());
                u.provider_event.id = key(ev.get("id"));
                u.dedup_key = u
                    .provider_event
                    .id
                    .as_ref()
                    .map(|id| format!("event:{chat_id}:{id}"));
                u
            });
        // The customer's name and e-mail are known here; their message says only who wrote it.
        if let (EventType::MessageReceived, Some(mut c)) = (normalized.event_type, contact.clone())
        {
            if c.provider_ref.is_none() {
                c.provider_ref = normalized.contact.and_then(|own| own.provider_ref);
            }
            normalized.contact = Some(c);
        }
        out.push(normalized);
    }
    Ok(out)
}

pub fn deactivated(p: &Map<String, Value>) -> Result<Vec<NormalizedEvent>, String> {
    let chat_id = key(p.get("chat_id")).ok_or("no usable \"chat_id\"")?;
    let thread_id = key(p.get("thread_id"));
    let user_id = key(p.get("user_id"));
    // LiveChat omits `user_id` when the router closed the thread (e.g. after inactivity).
    let closed_by = match user_id.as_deref().map(|id| classify(id, None, None)) {
        None => Some("system"),
        Some(Author::Unknown) => None,
        Some(a) => Some(a.as_str()),
    };
    let mut detail = Map::new();
    if let Some(t) = &thread_id {
        detail.insert("thread_id".into(), json!(t));
    }
    if let Some(u) = &user_id {
        detail.insert("user_id".into(), json!(u));
    }
    if let Some(by) = closed_by {
        detail.insert("closed_by".into(), json!(by));
    }
    let contact = (closed_by == Some("customer")).then(|| Contact {
        provider_ref: user_id.clone(),
        ..Contact::default()
    });
    Ok(vec![NormalizedEvent {
        event_type: EventType::ConversationClosed,
        conversation_ref: Some(chat_id.clone()),
        contact,
        message: None,
        provider_event: ProviderEvent {
            kind: String::new(),
            id: thread_id.clone(),
            detail,
        },
        dedup_key: thread_id.map(|t| format!("chat_deactivated:{chat_id}:{t}")),
    }])
}

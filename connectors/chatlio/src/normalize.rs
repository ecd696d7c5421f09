//! Maps Chatlio's five webhooks onto the event model. Nothing in a Chatlio payload says which
//! webhook it is, so the kind comes from the URL topic: every JSON object is its topic's event.
//! Total: a body that is not a JSON object becomes `provider.unrecognized` (the gateway keeps
//! the raw body), never an error.
//!
//! `provider_event.detail` is the payload as Chatlio sent it, minus what became a first-class
//! field (`conversationUUID`, the visitor's `message` text), with two repairs: traits that came
//! as a JSON-encoded string are decoded, and a transcript's `messages` are normalized.

use omnigate_connector_core::{
    Contact, Content, Direction, EventType, Message, NormalizedEvent, ProviderEvent,
};
use serde_json::{json, Map, Value};

/// The URL topics, one per Chatlio webhook, in the order Chatlio's docs list the webhooks.
pub const TOPICS: [&str; 5] = [
    "transcript",
    "offline-message",
    "new-conversation",
    "unanswered",
    "feedback",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Transcript,
    OfflineMessage,
    NewConversation,
    Unanswered,
    Feedback,
}

impl Kind {
    fn from_topic(topic: &str) -> Option<Kind> {
        match topic {
            "transcript" => Some(Kind::Transcript),
            "offline-message" => Some(Kind::OfflineMessage),
            "new-conversation" => Some(Kind::NewConversation),
            "unanswered" => Some(Kind::Unanswered),
            "feedback" => Some(Kind::Feedback),
            _ => None,
        }
    }

    fn event_type(self) -> EventType {
        match self {
            Kind::Transcript => EventType::ConversationTranscript,
            Kind::OfflineMessage => EventType::MessageOffline,
            Kind::NewConversation => EventType::ConversationOpened,
            Kind::Unanswered => EventType::ConversationUnanswered,
            Kind::Feedback => EventType::FeedbackReceived,
        }
    }
}

/// Normalizes one Chatlio webhook body that arrived on the URL of `topic`.
pub fn normalize(topic: Option<&str>, body: &[u8]) -> NormalizedEvent {
    let Some(topic) = topic else {
        return NormalizedEvent::unrecognized(
            "unknown",
            "no topic in the URL, and a Chatlio payload does not say which webhook it is",
        );
    };
    let Some(kind) = Kind::from_topic(topic) else {
        return NormalizedEvent::unrecognized(topic, format!("no Chatlio webhook \"{topic}\""));
    };
    let mut obj = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return NormalizedEvent::unrecognized(topic, "the body is not a JSON object"),
        Err(e) => return NormalizedEvent::unrecognized(topic, format!("invalid JSON: {e}")),
    };

    let uuid = non_empty(obj.get("conversationUUID"));
    if uuid.is_some() {
        obj.remove("conversationUUID");
    }
    decode_all_traits(&mut obj);
    let conversation = uuid.or_else(|| visitor_conversation(&obj, kind));
    let contact = contact(&obj, kind);

    let message = match kind {
        Kind::Transcript => {
            let messages = obj.remove("messages");
            obj.insert("messages".into(), transcript_messages(messages.as_ref()));
            None
        }
        _ => visitor_text(&mut obj),
    };

    NormalizedEvent {
        event_type: kind.event_type(),
        conversation_ref: conversation,
        contact,
        message,
        provider_event: ProviderEvent {
            kind: topic.to_string(),
            // Chatlio assigns no id to a webhook delivery or event.
            id: None,
            detail: obj,
        },
        // No provider-assigned event id exists, and keying on (conversation, topic) would drop
        // legitimate repeats such as a transcript sent again with `/chatlio send-to-webhook`.
        dedup_key: None,
    }
}

/// The conversation of a payload without a `conversationUUID` (Adobe Experience Platform
/// documents its Chatlio source that way): the visitor's `visitor.UUID`, as `visitor:<UUID>` so
/// that it is never taken for a Chatlio conversation id. It is in every documented payload but
/// the transcript, it is AEP's one required mapping, and it is the same across one visitor's
/// payloads. `channelId` and `slackChannelId` are Slack channels, one of them Chatlio's
/// shared channel, and which is undocumented: keying by them could merge visitors' chats.
/// An offline message is left when no chat exists and belongs to no conversation.
fn visitor_conversation(obj: &Map<String, Value>, kind: Kind) -> Option<String> {
    if kind == Kind::OfflineMessage {
        return None;
    }
    let visitor = obj.get("visitor").and_then(Value::as_object)?;
    non_empty(visitor.get("UUID")).map(|uuid| format!("visitor:{uuid}"))
}

/// A string worth keeping: non-blank text, or a number (ids sometimes change type).
fn non_empty(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `identTraits` / `visitorTraits` arrive as an object in some payloads and as a JSON-encoded
/// string in others. A string holding an object is decoded; a blank string means "no traits"
/// and becomes `{}`; any other string is kept as it came rather than guessed at.
fn decode_traits(v: Value) -> Value {
    match v {
        Value::String(s) if s.trim().is_empty() => Value::Object(Map::new()),
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(o)) => Value::Object(o),
            _ => Value::String(s),
        },
        other => other,
    }
}

fn decode_field(obj: &mut Map<String, Value>, key: &str) {
    if let Some(v) = obj.remove(key) {
        obj.insert(key.to_string(), decode_traits(v));
    }
}

fn decode_all_traits(obj: &mut Map<String, Value>) {
    decode_field(obj, "visitorTraits");
    if let Some(Value::Object(visitor)) = obj.get_mut("visitor") {
        decode_field(visitor, "identTraits");
    }
}

/// The visitor as a contact. Sources in order of trust: what the visitor typed into the offline
/// form, the `visitor` object (filled by `_chatlio.identify`), then a transcript's
/// `visitorEmail` and the identify traits. A transcript's `visitorName` comes last and only when
/// it is not the channel's name: for an anonymous visitor Chatlio fills it with the generated
/// handle the Slack channel is named after (`costa-mesa-california-us-133`), which is no name.
/// `replyToEmail` is not used: Chatlio documents it as the visitor's address only "if we have
/// it", so otherwise it is someone else's.
fn contact(obj: &Map<String, Value>, kind: Kind) -> Option<Contact> {
    let visitor = obj.get("visitor").and_then(Value::as_object);
    let traits: Vec<&Map<String, Value>> = [
        visitor.and_then(|v| v.get("identTraits")),
        obj.get("visitorTraits"),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_object)
    .collect();
    let form = |key: &str| {
        (kind == Kind::OfflineMessage)
            .then(|| non_empty(obj.get(key)))
            .flatten()
    };
    let from_visitor = |key: &str| non_empty(visitor.and_then(|v| v.get(key)));
    let from_traits = |key: &str| traits.iter().find_map(|t| non_empty(t.get(key)));

    let contact = Contact {
        provider_ref: from_visitor("UUID"),
        name: form("name")
            .or_else(|| from_visitor("name"))
            .or_else(|| from_traits("name"))
            .or_else(|| {
                non_empty(obj.get("visitorName"))
                    .filter(|n| Some(n) != non_empty(obj.get("channelName")).as_ref())
            }),
        email: form("email")
            .or_else(|| from_visitor("email"))
            .or_else(|| non_empty(obj.get("visitorEmail")))
            .or_else(|| from_traits("email")),
        phone: from_visitor("phone").or_else(|| from_traits("phone")),
    };
    (contact != Contact::default()).then_some(contact)
}

/// The visitor's own text (`message`) of an offline message, a new conversation, an unanswered
/// conversation or feedback, taken out of the detail. Anything but a non-blank string stays in
/// the detail for the helpdesk to see.
fn visitor_text(obj: &mut Map<String, Value>) -> Option<Message> {
    let text = match obj.get("message") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return None,
    };
    obj.remove("message");
    Some(Message {
        id: None,
        direction: Direction::Inbound,
        content: Content::Text { text },
        origin: None,
    })
}

/// A transcript's messages as `[{sender, name, text, sent_at, slack_user_id, slack_ts}]`, with
/// any fields beyond those under `extra`. A missing or non-array `messages` becomes `[]` (the
/// raw body still has it); entries that are not objects are skipped.
fn transcript_messages(messages: Option<&Value>) -> Value {
    let Some(Value::Array(items)) = messages else {
        return Value::Array(Vec::new());
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(transcript_message)
        .collect()
}

const MESSAGE_FIELDS: [&str; 6] = ["isVisitorMsg", "userId", "username", "text", "sentAt", "ts"];

fn transcript_message(m: &Map<String, Value>) -> Value {
    let user_id = non_empty(m.get("userId"));
    // `isVisitorMsg` decides when present. Older payloads lack it; then only a Slack user id
    // (an agent) is conclusive, because an empty one may also be a bot or system line.
    let sender = match (m.get("isVisitorMsg").and_then(Value::as_bool), &user_id) {
        (Some(true), _) => "visitor",
        (Some(false), _) => "agent",
        (None, Some(_)) => "agent",
        (None, None) => "unknown",
    };
    let mut out = json!({
        "sender": sender,
        "name": non_empty(m.get("username")),
        "text": m.get("text").and_then(Value::as_str),
        "sent_at": non_empty(m.get("sentAt")),
        "slack_user_id": user_id,
        "slack_ts": non_empty(m.get("ts")),
    });
    let extra: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !MESSAGE_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let (false, Some(o)) = (extra.is_empty(), out.as_object_mut()) {
        o.insert("extra".into(), Value::Object(extra));
    }
    out
}

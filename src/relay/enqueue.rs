//! "May this conversation take this reply now", written once: the API's replies and a
//! helpdesk's callbacks are admitted and queued here, and the relay worker asks the same rule
//! again at send time (a channel can be revoked after a reply is queued).

use std::sync::Arc;

use omnigate_connector_core::Connector;
use serde_json::Value;
use tokio::sync::Notify;

use crate::connectors::Registry;
use crate::domain::channel::{Channel, ChannelState};
use crate::domain::ids::{ConversationId, MessageId};
use crate::domain::reply::ReplyOrigin;
use crate::store::{ConversationRef, MessageStatus, RelayedMessage, Store, StoreError};

/// Why a reply is not queued.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no such conversation")]
    UnknownConversation,
    #[error("the conversation's channel no longer exists")]
    ChannelDeleted,
    #[error("{provider} has no API to send replies")]
    RepliesNotSupported { provider: String },
    #[error("the channel is {state}")]
    ChannelNotApproved { state: &'static str },
    /// The provider refuses this content (`text_too_long`, `too_many_cards`, ...).
    #[error("{message}")]
    InvalidContent {
        provider: String,
        code: &'static str,
        message: String,
    },
    /// The idempotency key already queued a different reply in this conversation.
    #[error("this Idempotency-Key was used for a different reply in this conversation")]
    KeyReused { message_id: MessageId },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Refusal {
    /// The stable code a caller answers with (the store's errors aside).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownConversation => "not_found",
            Refusal::ChannelDeleted => "channel_deleted",
            Refusal::RepliesNotSupported { .. } => "reply_not_supported",
            Refusal::ChannelNotApproved { .. } => "channel_not_approved",
            Refusal::InvalidContent { code, .. } => code,
            Refusal::KeyReused { .. } => "idempotency_key_reused",
            Refusal::Store(_) => "internal",
        }
    }
}

/// What became of a reply that was admitted.
#[derive(Debug)]
pub enum Enqueued {
    Queued(RelayedMessage),
    /// Its idempotency key had already queued this reply: the first one, not queued again.
    Replayed(RelayedMessage),
}

impl Enqueued {
    pub fn message(&self) -> &RelayedMessage {
        match self {
            Enqueued::Queued(m) | Enqueued::Replayed(m) => m,
        }
    }
}

/// The rule on the channel itself: its provider can reply, and it is approved.
pub fn may_reply(channel: &Channel, connector: &dyn Connector) -> Result<(), Refusal> {
    if !connector.capabilities().replies {
        return Err(Refusal::RepliesNotSupported {
            provider: channel.provider.clone(),
        });
    }
    if channel.state != ChannelState::Approved {
        return Err(Refusal::ChannelNotApproved {
            state: channel.state.as_str(),
        });
    }
    Ok(())
}

/// A conversation and its channel, before the rule is applied.
pub struct Target {
    pub conversation: ConversationRef,
    pub channel: Channel,
    connector: &'static dyn Connector,
}

/// A conversation that may take replies now, with what queuing one needs.
pub struct Admitted(Target);

/// One reply to queue. Its id is chosen up front, so a helpdesk can link its own message to
/// the reply before it is queued (the outcome then always finds it).
pub struct Reply {
    pub id: MessageId,
    pub content: Value,
    pub origin: ReplyOrigin,
    pub idempotency_key: Option<String>,
    /// The `X-Request-Id` of the request that asked for it.
    pub request_id: Option<String>,
}

impl Reply {
    pub fn new(content: Value, origin: ReplyOrigin) -> Reply {
        Reply {
            id: crate::ids::message_id(),
            content,
            origin,
            idempotency_key: None,
            request_id: None,
        }
    }
}

/// The conversation `conversation_id` and its channel.
pub async fn target(
    store: &dyn Store,
    registry: &Registry,
    conversation_id: &ConversationId,
) -> Result<Target, Refusal> {
    let conversation = store
        .conversation(conversation_id)
        .await?
        .ok_or(Refusal::UnknownConversation)?;
    let channel = store
        .get_channel(&conversation.channel_id)
        .await?
        .ok_or(Refusal::ChannelDeleted)?;
    let connector = registry.get(&channel.provider).ok_or_else(|| {
        StoreError::Internal(anyhow::anyhow!("no connector for {}", channel.provider))
    })?;
    Ok(Target {
        conversation,
        channel,
        connector,
    })
}

impl Target {
    pub fn connector(&self) -> &'static dyn Connector {
        self.connector
    }

    /// Applies the rule: whether this conversation may take replies now.
    pub fn admit(self) -> Result<Admitted, Refusal> {
        may_reply(&self.channel, self.connector)?;
        Ok(Admitted(self))
    }
}

/// Whether `conversation_id` may take a reply now.
pub async fn admit(
    store: &dyn Store,
    registry: &Registry,
    conversation_id: &ConversationId,
) -> Result<Admitted, Refusal> {
    target(store, registry, conversation_id).await?.admit()
}

impl Admitted {
    pub fn conversation(&self) -> &ConversationRef {
        &self.0.conversation
    }

    /// Whether the provider takes this content.
    pub fn check(&self, content: &Value) -> Result<(), Refusal> {
        self.0
            .connector
            .validate_reply(content)
            .map_err(|e| Refusal::InvalidContent {
                provider: self.0.channel.provider.clone(),
                code: e.code,
                message: e.message,
            })
    }

    /// Checks and queues a reply, waking the relay when it is new.
    pub async fn queue(
        &self,
        store: &dyn Store,
        wake: &Notify,
        reply: Reply,
    ) -> Result<Enqueued, Refusal> {
        self.check(&reply.content)?;
        let now = crate::domain::time::Timestamp::now();
        let message = RelayedMessage {
            id: reply.id,
            conversation_id: self.0.conversation.id.clone(),
            channel_id: self.0.channel.id.clone(),
            idempotency_key: reply.idempotency_key,
            content: reply.content,
            status: MessageStatus::Queued,
            attempts: 0,
            steps: Vec::new(),
            error: None,
            echo_event_id: None,
            next_attempt_at: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            request_id: reply.request_id,
            origin: reply.origin,
        };
        let content = message.content.clone();
        let (stored, created) = store.queue_message(message).await?;
        if !created {
            if stored.content != content {
                return Err(Refusal::KeyReused {
                    message_id: stored.id,
                });
            }
            return Ok(Enqueued::Replayed(stored));
        }
        wake.notify_one();
        Ok(Enqueued::Queued(stored))
    }
}

/// Admits and queues one reply to a conversation.
pub async fn enqueue(
    store: &dyn Store,
    registry: &Registry,
    wake: &Arc<Notify>,
    conversation_id: &ConversationId,
    reply: Reply,
) -> Result<Enqueued, Refusal> {
    admit(store, registry, conversation_id)
        .await?
        .queue(store, wake, reply)
        .await
}

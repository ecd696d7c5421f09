//! A Chatwoot inbox's callback, handled: verified with the inbox secret, de-duplicated on
//! `X-Chatwoot-Delivery`, and an agent's reply (or a resolved conversation) queued in the relay
//! through the one reply rule. Chatwoot waits 5 s and never retries, so nothing here calls the
//! provider: the relay does, afterwards, and reports the outcome back onto the Chatwoot message.

use crate::domain::ids::{ConversationId, DestinationId, MessageId};
use std::sync::Arc;
use std::time::Duration;

use omnigate_connector_core::{ChannelContext, Connector, InboundRequest, VerifyError};
use serde_json::{Map, Value};
use tokio::sync::Notify;

use super::decision::{decide, Decision};
use super::{writeback, LINK_CALLBACK, LINK_CONVERSATION, LINK_MESSAGE, LINK_REPLY};
use crate::connectors::Registry;
use crate::domain::destination::{ChatwootSettings, Destination};
use crate::domain::reply::ReplyOrigin;
use crate::domain::secret::ExposeSecret;
use crate::domain::time::Timestamp;
use crate::relay::{self, Enqueued, Refusal, Reply};
use crate::store::{Store, StoreError};

/// What a callback may use.
pub struct Services<'a> {
    pub store: &'a Arc<dyn Store>,
    pub registry: &'a Registry,
    /// Wakes the relay when a reply is queued.
    pub relay_wake: &'a Arc<Notify>,
    pub client: &'a reqwest::Client,
    /// Each call back into Chatwoot's time limit.
    pub timeout: Duration,
    /// Counts a verified callback against its destination's rate (`Err`: seconds to wait).
    /// Only callbacks that passed verification are counted, so junk cannot use a real
    /// helpdesk's budget up.
    pub admit: &'a (dyn Fn(&str) -> Result<(), u64> + Sync),
}

/// One callback as received.
pub struct Callback<'a> {
    /// Lower-cased names.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// `X-Chatwoot-Delivery`, when Chatwoot sent one.
    pub delivery: Option<String>,
    /// The `X-Request-Id` of the callback, carried to the provider calls.
    pub request_id: Option<String>,
}

/// What became of a callback.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// This `X-Chatwoot-Delivery` was handled before.
    Duplicate,
    Ignored(&'static str),
    /// The reply may not be relayed; the Chatwoot message is marked failed with the reason.
    Refused {
        code: &'static str,
        detail: String,
    },
    Queued(Vec<MessageId>),
    /// An unsigned callback (a destination without `inbox_secret`) was taken: what became of it
    /// is not told, so an unauthenticated caller cannot learn which conversations exist.
    Accepted,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("no such Chatwoot destination")]
    NotFound,
    /// The destination has no inbox secret and does not accept unsigned callbacks.
    #[error("this destination has no inbox_secret to verify callbacks with")]
    MissingSecret,
    /// The signature is missing, wrong or stale.
    #[error(transparent)]
    Unverified(VerifyError),
    #[error("{0}")]
    InvalidJson(String),
    /// Verified, but over the destination's callback rate: retry after this many seconds.
    #[error("over the callback rate")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Chatwoot destination a callback URL (`.../hooks/{id}/{secret}`) is for: the id names
/// it, the secret (compared in constant time) proves the caller was given the URL. A wrong
/// secret is answered like an unknown destination.
pub async fn destination(
    store: &dyn Store,
    id: &DestinationId,
    secret: &str,
) -> Result<Destination, CallbackError> {
    use subtle::ConstantTimeEq;
    let dest = store
        .get_destination(id)
        .await?
        .ok_or(CallbackError::NotFound)?;
    let expected = super::settings::of(&dest)
        .map(|c| c.callback_secret.expose_secret().as_bytes())
        .filter(|s| !s.is_empty())
        .ok_or(CallbackError::NotFound)?;
    if bool::from(expected.ct_eq(secret.as_bytes())) {
        Ok(dest)
    } else {
        Err(CallbackError::NotFound)
    }
}

/// Gives every Chatwoot destination stored before callback secrets existed one (its callback
/// URL changes: the old form, with the id alone, is refused). Run at start; returns how many
/// destinations got one.
pub async fn give_callback_secrets(store: &dyn Store) -> Result<usize, StoreError> {
    let mut given = 0;
    for d in store.list_destinations().await? {
        let Some(settings) =
            super::settings::of(&d).filter(|c| c.callback_secret.expose_secret().is_empty())
        else {
            continue;
        };
        let mut settings = settings.clone();
        settings.callback_secret = super::settings::new_callback_secret();
        let patch = crate::store::DestinationPatch {
            kind: Some(crate::domain::destination::DestinationKind::Chatwoot(
                settings,
            )),
            ..Default::default()
        };
        store.update_destination(&d.id, patch).await?;
        tracing::warn!(
            destination = %d.id,
            "this Chatwoot destination has a new callback URL (with its own secret): \
             paste it from GET /v1/destinations/{{id}} into the inbox's webhook URL"
        );
        given += 1;
    }
    Ok(given)
}

/// Checks `X-Chatwoot-Signature` with the inbox secret (timestamp within 5 minutes); `Ok(true)`
/// when the callback was signed. An unsigned callback passes only when the destination has no
/// secret and allows it (Chatwoot before 4.13): once an `inbox_secret` is set, the signature is
/// required whatever `allow_unsigned_callbacks` says.
fn verify(
    headers: &[(String, String)],
    body: &[u8],
    s: &ChatwootSettings,
) -> Result<bool, CallbackError> {
    let secret = match &s.inbox_secret {
        Some(secret) => secret,
        None if s.allow_unsigned_callbacks => return Ok(false),
        None => return Err(CallbackError::MissingSecret),
    };
    let mut credentials = Map::new();
    credentials.insert(
        "webhook_secret".into(),
        Value::String(secret.expose_secret().to_string()),
    );
    let settings = Map::new();
    let inbound = InboundRequest {
        topic: None,
        headers,
        body,
        source_ip: None,
        received_at: Timestamp::now().secs(),
    };
    let ctx = ChannelContext {
        credentials: &credentials,
        settings: &settings,
    };
    omnigate_chatwoot::Chatwoot
        .verify(&inbound, &ctx)
        .map(|()| true)
        .map_err(|e| {
            tracing::warn!(code = e.code(), "Chatwoot callback refused: {e}");
            CallbackError::Unverified(e)
        })
}

/// Verifies, de-duplicates and acts on one callback.
pub async fn handle(
    svc: &Services<'_>,
    dest: &Destination,
    callback: Callback<'_>,
) -> Result<Answer, CallbackError> {
    let Some(settings) = super::settings::of(dest) else {
        return Err(CallbackError::NotFound);
    };
    let signed = verify(callback.headers, callback.body, settings)?;
    (svc.admit)(&dest.id).map_err(CallbackError::RateLimited)?;
    let parsed: Value = serde_json::from_slice(callback.body)
        .map_err(|e| CallbackError::InvalidJson(e.to_string()))?;
    let delivery = callback.delivery.as_deref();
    if let Some(d) = delivery {
        if svc.store.link(&dest.id, LINK_CALLBACK, d).await?.is_some() {
            return Ok(if signed {
                Answer::Duplicate
            } else {
                Answer::Accepted
            });
        }
    }
    let answer = act(svc, dest, decide(&parsed), delivery, callback.request_id).await?;
    if let Some(d) = delivery {
        let event = parsed["event"].as_str().unwrap_or("unknown");
        svc.store
            .put_link(&dest.id, LINK_CALLBACK, d, event, false)
            .await?;
    }
    Ok(if signed { answer } else { Answer::Accepted })
}

/// What a decision comes to: replies queued through the relay's rule, or why not.
async fn act(
    svc: &Services<'_>,
    dest: &Destination,
    decision: Decision,
    delivery: Option<&str>,
    request_id: Option<String>,
) -> Result<Answer, CallbackError> {
    let display_id = match &decision {
        Decision::Ignore(reason) => return Ok(Answer::Ignored(reason)),
        Decision::Relay { display_id, .. } | Decision::Resolved { display_id } => *display_id,
    };
    let store = svc.store.as_ref();
    let Some(conversation) = store
        .link_by_value(&dest.id, LINK_CONVERSATION, &display_id.to_string())
        .await?
    else {
        return Ok(Answer::Ignored("unknown_conversation"));
    };
    let conversation = ConversationId::from(conversation);
    let target = match relay::target(store, svc.registry, &conversation).await {
        Ok(target) => target,
        Err(Refusal::ChannelDeleted) => return Ok(Answer::Ignored("channel_deleted")),
        Err(Refusal::UnknownConversation) => {
            return Err(StoreError::Internal(anyhow::anyhow!(
                "conversation {conversation} is linked but unknown"
            ))
            .into())
        }
        Err(other) => return Err(internal(other)),
    };
    // Each content to relay with its idempotency key; the Chatwoot message id for a reply.
    let (message_id, items): (Option<u64>, Vec<(Value, String)>) = match decision {
        Decision::Relay {
            message_id,
            contents,
            ..
        } => {
            if store
                .link_by_value(&dest.id, LINK_MESSAGE, &message_id.to_string())
                .await?
                .is_some()
            {
                return Ok(Answer::Ignored("created_by_omnigate"));
            }
            let items = contents
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, writeback::idempotency_key(&dest.id, message_id, i)))
                .collect();
            (Some(message_id), items)
        }
        Decision::Resolved { .. } => {
            let Some(action) = target.connector().resolve_action() else {
                return Ok(Answer::Ignored("provider_has_no_resolve"));
            };
            let tag = delivery
                .map(str::to_string)
                .unwrap_or_else(|| crate::ids::event_id().into());
            (
                None,
                vec![(action, format!("chatwoot-resolved:{}:{tag}", dest.id))],
            )
        }
        Decision::Ignore(reason) => return Ok(Answer::Ignored(reason)),
    };
    let reply_of = message_id.map(|mid| (display_id, mid));
    let admitted = match target.admit() {
        Ok(a) => a,
        Err(refusal) => return Ok(refused(svc, dest, reply_of, &refusal)),
    };
    for (content, _) in &items {
        if let Err(refusal) = admitted.check(content) {
            return Ok(refused(svc, dest, reply_of, &refusal));
        }
    }
    let link = reply_of.map(|(display_id, mid)| format!("{display_id}:{mid}"));
    let origin = ReplyOrigin::Helpdesk {
        destination_id: dest.id.clone(),
    };
    let mut queued = Vec::new();
    for (content, key) in items {
        let reply = Reply {
            idempotency_key: Some(key),
            request_id: request_id.clone(),
            ..Reply::new(content, origin.clone())
        };
        if let Some(link) = &link {
            // Linked before it is queued, so the outcome always finds its Chatwoot message.
            store
                .put_link(&dest.id, LINK_REPLY, &reply.id, link, true)
                .await?;
        }
        let id = match admitted.queue(store, svc.relay_wake, reply).await {
            Ok(Enqueued::Queued(m) | Enqueued::Replayed(m)) => m.id,
            Err(Refusal::KeyReused { message_id }) => message_id,
            Err(other) => return Err(internal(other)),
        };
        queued.push(id);
    }
    tracing::info!(destination = %dest.id, conversation = %admitted.conversation().id, replies = queued.len(), "Chatwoot callback queued");
    Ok(Answer::Queued(queued))
}

fn internal(refusal: Refusal) -> CallbackError {
    match refusal {
        Refusal::Store(e) => e.into(),
        other => StoreError::Internal(anyhow::anyhow!("{other}")).into(),
    }
}

/// Refuses a reply: the Chatwoot message it came from is marked failed with the reason, in the
/// background (Chatwoot is waiting for the callback's answer).
fn refused(
    svc: &Services<'_>,
    dest: &Destination,
    reply_of: Option<(u64, u64)>,
    refusal: &Refusal,
) -> Answer {
    let (code, detail) = (refusal.code(), refusal.to_string());
    if let Some((display_id, mid)) = reply_of {
        let (store, client, timeout) = (svc.store.clone(), svc.client.clone(), svc.timeout);
        let dest_id = dest.id.clone();
        let reason = format!("{code}: {detail}");
        let link = format!("{display_id}:{mid}");
        let key = format!("refused:{mid}");
        tokio::spawn(async move {
            if store
                .put_link(&dest_id, LINK_REPLY, &key, &link, true)
                .await
                .is_ok()
            {
                let store = store.as_ref();
                writeback::report(store, &client, timeout, &dest_id, &key, Some(&reason)).await;
            }
        });
    }
    Answer::Refused { code, detail }
}

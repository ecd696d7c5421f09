//! The relay: sends queued helpdesk replies through each provider's API, one call at a time
//! per channel within the provider's rate limit, retrying only temporary failures, and records
//! every outcome as a `message.delivered` / `message.failed` event for the helpdesk.

pub mod call;
mod enqueue;
mod limits;

use std::sync::Arc;
use std::time::Duration;

use omnigate_connector_core::{CallOutcome, Connector, EventType, ReplyContext};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;

use crate::config::Settings;
use crate::connectors::Registry;
use crate::domain::channel::Channel;
use crate::domain::envelope;
use crate::domain::secret::ExposeSecret;
use crate::domain::time::Timestamp;
use crate::forwarder::RetrySchedule;
use crate::store::{MessageProgress, NewEvent, RelayedMessage, Store};

pub use enqueue::{admit, enqueue, may_reply, target, Admitted, Enqueued, Refusal, Reply, Target};
pub use limits::Limiters;

#[derive(Clone)]
pub struct Relay {
    store: Arc<dyn Store>,
    registry: Registry,
    settings: Arc<Settings>,
    client: reqwest::Client,
    schedule: RetrySchedule,
    limiters: Limiters,
    wake: Arc<Notify>,
}

/// `relay.retry_schedule`, which paces calls to a provider's API: replies, and the reads that
/// fill in thin events. A provider's Retry-After is not read (its answer is the connector's to
/// interpret), so the cap never applies.
pub fn schedule(settings: &Settings) -> RetrySchedule {
    RetrySchedule::new(
        settings.relay.retry_schedule.clone(),
        settings.relay.jitter,
        Duration::MAX,
    )
}

impl Relay {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Registry,
        settings: Arc<Settings>,
        client: reqwest::Client,
        limiters: Limiters,
        wake: Arc<Notify>,
    ) -> Relay {
        let schedule = schedule(&settings);
        Relay {
            store,
            registry,
            settings,
            client,
            schedule,
            limiters,
            wake,
        }
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        match self.store.requeue_interrupted_messages().await {
            Ok(n) if n > 0 => tracing::warn!(
                messages = n,
                "replies interrupted by the last stop are queued again"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot requeue interrupted replies"),
        }
        let permits = Arc::new(Semaphore::new(self.settings.relay.concurrency));
        let mut tasks = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                self.store
                    .claim_messages(Timestamp::now(), free)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "cannot claim replies");
                        Vec::new()
                    })
            };
            let got = claimed.len();
            for message in claimed {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let this = self.clone();
                let stop = shutdown.clone();
                tasks.spawn(async move {
                    this.process(message, stop).await;
                    drop(permit);
                    this.wake.notify_one();
                });
            }
            if got > 0 && got == free {
                continue;
            }
            let idle = match self.store.next_message_due().await {
                Ok(Some(due)) => Timestamp::now()
                    .until(due)
                    .clamp(Duration::from_millis(5), Duration::from_secs(1)),
                _ => Duration::from_secs(1),
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("relay stopped");
    }

    async fn process(&self, message: RelayedMessage, stop: watch::Receiver<bool>) {
        // `None`: interrupted by shutdown before a call, so back in the queue as it was.
        let progress = self
            .turn(&message, &stop)
            .await
            .unwrap_or_else(|| MessageProgress::Step {
                steps: message.steps.clone(),
            });
        let outcome = match &progress {
            MessageProgress::Delivered { .. } => Some(None),
            MessageProgress::Failed { code, message, .. } => {
                Some(Some(format!("{code}: {message}")))
            }
            _ => None,
        };
        if let Err(e) = self.store.record_message(&message.id, progress).await {
            tracing::error!(error = %e, message = %message.id, "cannot record a reply's progress");
            return;
        }
        // A helpdesk that queued the reply is told its outcome.
        if let Some(failure) = outcome {
            let calls = crate::helpdesk::Calls {
                store: self.store.as_ref(),
                client: &self.client,
                timeout: self.settings.relay.request_timeout,
            };
            crate::helpdesk::on_reply_outcome(
                &calls,
                &message.origin,
                &message.id,
                failure.as_deref(),
            )
            .await;
        }
    }

    fn finished(
        &self,
        m: &RelayedMessage,
        channel: &Channel,
        provider_ref: &str,
        failure: Option<(String, String)>,
    ) -> MessageProgress {
        let event_id = crate::ids::event_id();
        let kind = if failure.is_some() {
            EventType::MessageFailed
        } else {
            EventType::MessageDelivered
        };
        let envelope = envelope::relay_outcome(
            kind,
            &event_id,
            channel,
            (&m.conversation_id, provider_ref),
            (&m.id, &m.content),
            m.attempts + 1,
            failure.as_ref().map(|(c, d)| (c.as_str(), d.as_str())),
        );
        let event = NewEvent {
            id: event_id,
            event_type: kind.as_str().to_string(),
            conversation_id: Some(m.conversation_id.clone()),
            conversation_ref: Some(provider_ref.to_string()),
            dedup_key: None,
            envelope,
            raw: None,
            request_id: m.request_id.clone(),
        };
        match failure {
            None => MessageProgress::Delivered { event },
            Some((code, message)) => {
                tracing::warn!(message = %m.id, request_id = m.request_id.as_deref().unwrap_or_default(), %code, "reply failed");
                MessageProgress::Failed {
                    code,
                    message,
                    event,
                }
            }
        }
    }

    async fn turn(
        &self,
        m: &RelayedMessage,
        stop: &watch::Receiver<bool>,
    ) -> Option<MessageProgress> {
        let loaded = async {
            let channel = self.store.get_channel(&m.channel_id).await.ok().flatten()?;
            let conversation = self
                .store
                .conversation(&m.conversation_id)
                .await
                .ok()
                .flatten()?;
            let connector = self.registry.get(&channel.provider)?;
            Some((channel, conversation, connector))
        }
        .await;
        let Some((channel, conversation, connector)) = loaded else {
            return Some(MessageProgress::Retry {
                at: Timestamp::now() + Duration::from_secs(5),
                code: "store_unavailable".into(),
                message: "the channel or conversation could not be read".into(),
            });
        };
        let fail = |code: &str, detail: String| {
            Some(self.finished(
                m,
                &channel,
                &conversation.provider_ref,
                Some((code.to_string(), detail)),
            ))
        };
        // The rule replies were admitted by, again: the channel may have changed since.
        if let Err(refusal) = enqueue::may_reply(&channel, connector) {
            return fail(refusal.code(), refusal.to_string());
        }
        let api_base = self
            .settings
            .api_base(&channel.provider, connector.default_api_base())
            .to_string();
        let ctx = ReplyContext {
            credentials: channel.credentials.expose_secret(),
            api_base: &api_base,
            recipient: &conversation.provider_ref,
        };
        let mut steps = m.steps.clone();
        loop {
            let call = match connector.next_reply_call(&ctx, &m.content, &steps) {
                Ok(Some(call)) => call,
                Ok(None) => {
                    return Some(self.finished(m, &channel, &conversation.provider_ref, None))
                }
                Err(e) => return fail(e.code, e.message),
            };
            if *stop.borrow() {
                return None;
            }
            self.limiters
                .until_ready(
                    &channel.id,
                    connector.provider(),
                    connector.capabilities().rate_limit,
                )
                .await;
            let outcome = self
                .send(connector, steps.len(), call, m.request_id.as_deref())
                .await;
            match outcome {
                // An upload's id feeds the next call. Intermediate steps are not persisted: after
                // a crash the reply starts over, which repeats an upload, never a send.
                CallOutcome::Ok { value } => steps.push(value),
                CallOutcome::Retryable { code, message } => {
                    let next = (m.attempts + 1) as usize;
                    return match self.schedule.next_delay(next, None) {
                        Some(delay) => Some(MessageProgress::Retry {
                            at: Timestamp::now() + delay,
                            code,
                            message,
                        }),
                        None => fail(&code, format!("{message} (gave up after {next} attempts)")),
                    };
                }
                CallOutcome::Permanent { code, message } => return fail(&code, message),
            }
        }
    }

    async fn send(
        &self,
        connector: &dyn Connector,
        step: usize,
        call: omnigate_connector_core::ProviderCall,
        request_id: Option<&str>,
    ) -> CallOutcome {
        let started = std::time::Instant::now();
        let answer = call::send(
            &self.client,
            call,
            self.settings.relay.request_timeout,
            request_id,
        )
        .await;
        let rate_limited = matches!(answer, Ok((429, _)));
        let outcome = match answer {
            Ok((status, body)) => connector.interpret_reply(step, status, &body),
            Err(e) => CallOutcome::Retryable {
                code: e.code.into(),
                message: e.message,
            },
        };
        let label = match &outcome {
            CallOutcome::Ok { .. } => "ok",
            CallOutcome::Retryable { .. } => "retryable",
            CallOutcome::Permanent { .. } => "permanent",
        };
        let provider = connector.provider();
        metrics::counter!(crate::telemetry::RELAY_CALLS, "provider" => provider, "outcome" => label)
            .increment(1);
        metrics::histogram!(crate::telemetry::RELAY_SECONDS, "provider" => provider)
            .record(started.elapsed().as_secs_f64());
        if rate_limited {
            metrics::counter!(crate::telemetry::RATE_LIMITED, "by" => "provider", "name" => provider)
                .increment(1);
        }
        outcome
    }
}

//! Enrichment: filling in thin events before they are forwarded. A connector declares which of
//! its events are thin, the provider call that fills one in and how to read the answer
//! (`Connector::needs_enrichment`, `enrichment_call`, `read_enrichment`); ingress stores such an
//! event marked pending ([`PENDING_ENRICHMENT`]) and acks at once; the forwarder, when the
//! event heads its conversation's lane, asks [`Enricher::fill_in`] for it. The call goes
//! through the relay's HTTP path and its per-channel rate limiters; a temporary failure waits
//! on the relay's retry schedule (this lane only: other conversations go on), a final refusal
//! or an exhausted schedule forwards the event as it is, with the reason. The filled-in event
//! is stored, so replays forward it as it is and the provider is asked once.
//!
//! [`PENDING_ENRICHMENT`]: crate::domain::envelope::PENDING_ENRICHMENT

pub mod envelope;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::secret::ExposeSecret;
use omnigate_connector_core::{EnrichContext, Enrichment, NormalizedEvent};
use serde_json::{json, Value};

use crate::config::Settings;
use crate::connectors::Registry;
use crate::domain::envelope::PENDING_ENRICHMENT;
use crate::domain::ids::{ChannelId, EventId};
use crate::forwarder::RetrySchedule;
use crate::relay::{call, Limiters};
use crate::store::Store;

/// How long a lane waits when the store could not be read or written.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// What the forwarder does with a pending event.
#[derive(Debug, Clone, PartialEq)]
pub enum Filled {
    /// The event as it is to be forwarded (filled in, or with the reason it could not be).
    Ready(Value),
    /// Ask again after `delay`; the delivery attempt is recorded as failed with the code.
    Later {
        delay: Duration,
        code: String,
        message: String,
    },
}

#[derive(Clone)]
pub struct Enricher {
    store: Arc<dyn Store>,
    registry: Registry,
    settings: Arc<Settings>,
    client: reqwest::Client,
    limiters: Limiters,
    schedule: RetrySchedule,
    /// One fetch per event at a time on this replica: each destination's lane meets the event.
    busy: Arc<Mutex<HashMap<EventId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Enricher {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<Settings>,
        client: reqwest::Client,
        limiters: Limiters,
    ) -> Enricher {
        let schedule = crate::relay::schedule(&settings);
        Enricher {
            store,
            registry: Registry::default(),
            settings,
            client,
            limiters,
            schedule,
            busy: Arc::default(),
        }
    }

    /// Fills in the pending event `event_id` (whose stored envelope is `envelope`), its
    /// delivery having failed `attempts` times before.
    pub async fn fill_in(&self, event_id: &EventId, envelope: &Value, attempts: i64) -> Filled {
        let gate = {
            let mut busy = self
                .busy
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            busy.entry(event_id.clone()).or_default().clone()
        };
        let filled = {
            let _turn = gate.lock().await;
            self.fill_in_alone(event_id, envelope, attempts).await
        };
        let mut busy = self
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if Arc::strong_count(&gate) <= 2 {
            busy.remove(event_id);
        }
        filled
    }

    async fn fill_in_alone(&self, event_id: &EventId, envelope: &Value, attempts: i64) -> Filled {
        let store_later = |what: &str| Filled::Later {
            delay: STORE_RETRY,
            code: "store_unavailable".into(),
            message: format!("the event's {what} could not be read or written"),
        };
        // Another lane (or replica) may have filled it in meanwhile.
        let stored = match self.store.get_event(event_id).await {
            Ok(Some(e)) => e,
            Ok(None) => return Filled::Ready(envelope.clone()),
            Err(_) => return store_later("record"),
        };
        if stored.event_type != PENDING_ENRICHMENT {
            return Filled::Ready(stored.envelope);
        }
        let Some(event) = envelope::normalized(&stored.envelope) else {
            return Filled::Ready(stored.envelope);
        };
        let outcome = match self.ask(&stored.envelope, &event).await {
            Ok(outcome) => outcome,
            Err(()) => return store_later("channel"),
        };
        let (filled, outcome) = match outcome {
            Enrichment::Enriched(ev) => (*ev, json!({"status": "enriched"})),
            Enrichment::Refused { code, message } => (event, failed(&code, &message)),
            Enrichment::Retryable { code, message } => {
                let done = (attempts + 1) as usize;
                match self.schedule.next_delay(done, None) {
                    Some(delay) => {
                        return Filled::Later {
                            delay,
                            code: format!("enrichment_{code}"),
                            message,
                        }
                    }
                    None => {
                        let reason = format!("{message} (gave up after {done} attempts)");
                        (event, failed(&code, &reason))
                    }
                }
            }
        };
        let envelope = envelope::filled_in(&stored.envelope, &filled, outcome);
        match self
            .store
            .complete_enrichment(event_id, filled.event_type.as_str(), envelope.clone())
            .await
        {
            Ok(true) => Filled::Ready(envelope),
            // Filled in elsewhere first: that version is the one forwarded everywhere.
            Ok(false) => match self.store.get_event(event_id).await {
                Ok(Some(e)) => Filled::Ready(e.envelope),
                _ => store_later("record"),
            },
            Err(_) => store_later("record"),
        }
    }

    /// Makes the connector's call for `event` within the channel's rate limit and reads the
    /// answer. `Err` when the channel could not be read.
    async fn ask(&self, envelope: &Value, event: &NormalizedEvent) -> Result<Enrichment, ()> {
        let channel_id: ChannelId = envelope
            .pointer("/data/channel/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into();
        let channel = match self.store.get_channel(&channel_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Ok(Enrichment::refused(
                    "channel_gone",
                    "the channel was deleted before the event could be filled in",
                ))
            }
            Err(_) => return Err(()),
        };
        let Some(connector) = self.registry.get(&channel.provider) else {
            return Ok(Enrichment::refused(
                "unknown_provider",
                "no connector for the channel's provider",
            ));
        };
        let api_base = self
            .settings
            .api_base(&channel.provider, connector.default_api_base());
        let ctx = EnrichContext {
            credentials: channel.credentials.expose_secret(),
            api_base,
        };
        let call = match connector.enrichment_call(&ctx, event) {
            Ok(call) => call,
            Err(refusal) => return Ok(refusal),
        };
        self.limiters
            .until_ready(
                &channel.id,
                connector.provider(),
                connector.capabilities().rate_limit,
            )
            .await;
        let answer = call::send(
            &self.client,
            call,
            self.settings.relay.request_timeout,
            None,
        )
        .await;
        let outcome = match answer {
            Ok((status, body)) => connector.read_enrichment(event, status, &body),
            Err(e) => Enrichment::Retryable {
                code: e.code.into(),
                message: e.message,
            },
        };
        let label = match &outcome {
            Enrichment::Enriched(_) => "enriched",
            Enrichment::Retryable { .. } => "retryable",
            Enrichment::Refused { .. } => "refused",
        };
        tracing::debug!(channel = %channel.id, provider = connector.provider(), outcome = label, "enrichment call");
        Ok(outcome)
    }
}

fn failed(code: &str, reason: &str) -> Value {
    json!({"status": "failed", "code": code, "reason": reason})
}

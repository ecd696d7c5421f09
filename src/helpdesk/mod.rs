//! Helpdesk destinations that write into a helpdesk's own objects through its API, rather than
//! receiving signed webhooks: the forwarder hands them one delivery at a time, with the same
//! lanes, order, retries, dead letters and replays as a webhook destination; their callbacks
//! queue agents' replies in the relay, which tells them each reply's outcome.
//!
//! A helpdesk is one module implementing [`Helpdesk`] plus its line in [`by_kind`].

pub mod chatwoot;

use crate::domain::ids::{DestinationId, MessageId};
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::reply::ReplyOrigin;
use crate::store::Store;

/// What a helpdesk's calls back into it may use.
pub struct Calls<'a> {
    pub store: &'a dyn Store,
    pub client: &'a reqwest::Client,
    /// Each call's time limit.
    pub timeout: Duration,
}

/// One helpdesk integration.
#[async_trait]
pub trait Helpdesk: Sync {
    /// The destination kind it is registered as (`chatwoot`).
    fn kind(&self) -> &'static str;
    /// A reply it queued was delivered (`failure: None`) or failed, with the reason.
    async fn on_reply_outcome(
        &self,
        calls: &Calls<'_>,
        destination_id: &DestinationId,
        message_id: &MessageId,
        failure: Option<&str>,
    );
}

/// Every helpdesk, by destination kind.
pub fn by_kind(kind: &str) -> Option<&'static dyn Helpdesk> {
    const HELPDESKS: &[&dyn Helpdesk] = &[&chatwoot::Chatwoot];
    HELPDESKS.iter().copied().find(|h| h.kind() == kind)
}

/// Tells the helpdesk that queued a reply what became of it (`failure`: why it failed). A
/// reply queued through the API has no one to tell.
pub async fn on_reply_outcome(
    calls: &Calls<'_>,
    origin: &ReplyOrigin,
    message_id: &MessageId,
    failure: Option<&str>,
) {
    let ReplyOrigin::Helpdesk { destination_id } = origin else {
        return;
    };
    let dest = match calls.store.get_destination(destination_id).await {
        Ok(Some(d)) => d,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, message = %message_id, "cannot read a reply's helpdesk");
            return;
        }
    };
    if let Some(helpdesk) = by_kind(dest.kind_name()) {
        helpdesk
            .on_reply_outcome(calls, destination_id, message_id, failure)
            .await;
    }
}

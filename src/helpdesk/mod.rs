//! Helpdesk destinations that write into a helpdesk's own objects through its API, rather than
//! receiving signed webhooks: the forwarder hands them one delivery at a time, with the same
//! lanes, order, retries, dead letters and replays as a webhook destination; their callbacks
//! queue agents' replies in the relay, which tells them each reply's outcome.

pub mod chatwoot;

use std::time::Duration;

use crate::domain::reply::ReplyOrigin;
use crate::store::Store;

/// Tells the helpdesk that queued a reply what became of it (`failure`: why it failed). A
/// reply queued through the API has no one to tell.
pub async fn on_reply_outcome(
    store: &dyn Store,
    client: &reqwest::Client,
    timeout: Duration,
    origin: &ReplyOrigin,
    message_id: &str,
    failure: Option<&str>,
) {
    let ReplyOrigin::Helpdesk { destination_id } = origin else {
        return;
    };
    chatwoot::writeback::report(store, client, timeout, destination_id, message_id, failure).await;
}

//! The outcome of a relayed Chatwoot reply, written back onto the Chatwoot message
//! (`PATCH .../messages/{id}` with `status` and `external_error`, API inboxes only), so the agent
//! sees a failed delivery where they wrote the reply. Best effort: one call, logged on failure.

use crate::domain::ids::DestinationId;
use serde_json::json;

use super::api::Api;
use super::{LINK_REPLY, LINK_REPLY_FAILED};
use crate::store::Store;

/// The `Idempotency-Key` of a reply relayed from a Chatwoot callback: the Chatwoot message id
/// (and part) make a repeated callback queue nothing new. Which destination a reply came from
/// is its stored origin, not this key.
pub fn idempotency_key(destination_id: &str, message_id: u64, part: usize) -> String {
    format!("chatwoot:{destination_id}:{message_id}:{part}")
}

/// Sets the Chatwoot message's status for a relayed reply: `delivered`, or `failed` with the
/// reason.
pub async fn report(
    store: &dyn Store,
    client: &reqwest::Client,
    timeout: std::time::Duration,
    destination_id: &DestinationId,
    relayed_id: &str,
    failure: Option<&str>,
) {
    let link = match store.link(destination_id, LINK_REPLY, relayed_id).await {
        Ok(Some(v)) => v,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, message = %relayed_id, "cannot read a reply's Chatwoot message");
            return;
        }
    };
    let Some((display_id, message_id)) = link.split_once(':') else {
        return;
    };
    // A reply with text and images is relayed in parts: one failed part makes the Chatwoot
    // message failed, and a later part's success does not hide it.
    let outcome = match failure {
        Some(reason) => store
            .put_link(destination_id, LINK_REPLY_FAILED, &link, reason, false)
            .await
            .map(|_| ()),
        None => match store.link(destination_id, LINK_REPLY_FAILED, &link).await {
            Ok(Some(_)) => return,
            other => other.map(|_| ()),
        },
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, message = %relayed_id, "cannot record a reply's outcome");
    }
    let Ok(Some(dest)) = store.get_destination(destination_id).await else {
        return;
    };
    let Some(settings) = super::settings::of(&dest) else {
        return;
    };
    let body = match failure {
        None => json!({"status": "delivered"}),
        Some(reason) => json!({"status": "failed", "external_error": reason}),
    };
    let api = Api {
        client,
        timeout,
        settings,
        request_id: None,
    };
    let path = format!("/conversations/{display_id}/messages/{message_id}");
    if let Err(e) = api.patch("update message status", &path, &body).await {
        tracing::warn!(destination = %destination_id, message = %relayed_id, error = %e.error(), "cannot write a reply's outcome back to Chatwoot");
    }
}

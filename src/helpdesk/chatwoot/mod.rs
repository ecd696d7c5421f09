//! Chatwoot as the helpdesk: events are written into an API-channel inbox (contacts,
//! conversations, incoming messages, private notes), and the inbox's callbacks bring the agents'
//! replies back to the relay.
//!
//! What omnigate created in Chatwoot is remembered as helpdesk links, per destination:
//!
//! | kind | key | value |
//! |---|---|---|
//! | `contact` | `{channel id}:{contact provider_ref}` | Chatwoot contact id |
//! | `conversation` | omnigate conversation id | Chatwoot conversation (display) id |
//! | `message` | omnigate event id | Chatwoot message id (incoming message or private note) |
//! | `callback` | `X-Chatwoot-Delivery` | Chatwoot message id, or the event name |
//! | `reply` | relayed message id (`msg_...`) | `{conversation display id}:{Chatwoot message id}` |
//! | `reply_failed` | `{conversation display id}:{Chatwoot message id}` | why a part of it failed |

pub mod api;
mod bodies;
pub mod callback;
pub mod cli;
mod decision;
pub mod deliver;
pub mod deliverer;
mod notes;
pub mod settings;
pub mod writeback;

/// Prefix of the `source_id` of everything omnigate creates in Chatwoot, and of the
/// `Idempotency-Key` of the replies it relays from Chatwoot.
pub const MARKER: &str = "omnigate:";

pub const LINK_CONTACT: &str = "contact";
pub const LINK_CONVERSATION: &str = "conversation";
pub const LINK_MESSAGE: &str = "message";
pub const LINK_CALLBACK: &str = "callback";
pub const LINK_REPLY: &str = "reply";
pub const LINK_REPLY_FAILED: &str = "reply_failed";

/// Chatwoot as a [`crate::helpdesk::Helpdesk`].
pub struct Chatwoot;

#[async_trait::async_trait]
impl crate::helpdesk::Helpdesk for Chatwoot {
    fn kind(&self) -> &'static str {
        "chatwoot"
    }

    async fn on_reply_outcome(
        &self,
        calls: &crate::helpdesk::Calls<'_>,
        destination_id: &crate::domain::ids::DestinationId,
        message_id: &crate::domain::ids::MessageId,
        failure: Option<&str>,
    ) {
        writeback::report(
            calls.store,
            calls.client,
            calls.timeout,
            destination_id,
            message_id,
            failure,
        )
        .await;
    }
}

//! Where a relayed reply came from, stored with it so the relay can tell the helpdesk that
//! queued it what became of it.

use super::ids::DestinationId;

/// Who queued a reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReplyOrigin {
    /// `POST /v1/conversations/{id}/messages`.
    #[default]
    Api,
    /// A helpdesk destination's callback (an agent's reply in Chatwoot, for instance).
    Helpdesk { destination_id: DestinationId },
}

/// The idempotency-key prefix of replies a Chatwoot callback queued before origins were stored.
const LEGACY_HELPDESK_KEY: &str = "chatwoot:";

impl ReplyOrigin {
    /// As stored: the helpdesk destination's id, nothing for the API.
    pub fn destination_id(&self) -> Option<&DestinationId> {
        match self {
            ReplyOrigin::Api => None,
            ReplyOrigin::Helpdesk { destination_id } => Some(destination_id),
        }
    }

    /// Reads a stored origin back. A reply queued before origins were stored has none; its
    /// origin is then read from its idempotency key, which Chatwoot callbacks built as
    /// `chatwoot:{destination id}:{message id}:{part}`. This is the one place that reads that
    /// shape, and it can go once no such reply is left queued.
    pub fn stored(
        destination_id: Option<DestinationId>,
        idempotency_key: Option<&str>,
    ) -> ReplyOrigin {
        if let Some(destination_id) = destination_id.filter(|d| !d.is_empty()) {
            return ReplyOrigin::Helpdesk { destination_id };
        }
        let legacy = idempotency_key
            .and_then(|k| k.strip_prefix(LEGACY_HELPDESK_KEY))
            .and_then(|rest| rest.split(':').next())
            .and_then(|d| DestinationId::parse(d).ok());
        match legacy {
            Some(destination_id) => ReplyOrigin::Helpdesk { destination_id },
            None => ReplyOrigin::Api,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_origin_wins_and_old_replies_fall_back_to_their_key() {
        let dst = |d: &str| ReplyOrigin::Helpdesk {
            destination_id: d.into(),
        };
        assert_eq!(
            ReplyOrigin::stored(Some("dst_2".into()), None),
            dst("dst_2")
        );
        assert_eq!(
            ReplyOrigin::stored(None, Some("chatwoot:dst_1:91:0")),
            dst("dst_1")
        );
        assert_eq!(
            ReplyOrigin::stored(None, Some("ticket-981")),
            ReplyOrigin::Api
        );
        assert_eq!(
            ReplyOrigin::stored(None, Some("chatwoot:nope:1:0")),
            ReplyOrigin::Api
        );
        assert_eq!(ReplyOrigin::stored(None, None), ReplyOrigin::Api);
    }
}

//! Channels: one provider account connected to omnigate, and its approval state machine.

use serde::{Deserialize, Serialize};

use super::ids::ChannelId;
use super::secret::{Credentials, ExposeSecret};
use super::time::Timestamp;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelState {
    Unverified,
    Pending,
    Approved,
    Rejected,
    Revoked,
}

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    RequestApproval,
    Approve,
    Reject,
    Revoke,
}

impl ChannelState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Unverified => "unverified",
            ChannelState::Pending => "pending",
            ChannelState::Approved => "approved",
            ChannelState::Rejected => "rejected",
            ChannelState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelState> {
        [
            ChannelState::Unverified,
            ChannelState::Pending,
            ChannelState::Approved,
            ChannelState::Rejected,
            ChannelState::Revoked,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// The state a transition leads to from here, or `None` when it is not allowed.
    /// unverified -> pending -> approved | rejected; approved -> revoked;
    /// rejected | revoked -> pending. Approval can be requested again while pending (the
    /// same webhook URL is returned), never while approved.
    pub fn apply(self, t: Transition) -> Option<ChannelState> {
        use ChannelState::*;
        match (self, t) {
            (Unverified | Pending | Rejected | Revoked, Transition::RequestApproval) => {
                Some(Pending)
            }
            (Pending, Transition::Approve) => Some(Approved),
            (Pending, Transition::Reject) => Some(Rejected),
            (Approved, Transition::Revoke) => Some(Revoked),
            _ => None,
        }
    }

    /// Webhooks are taken for approved channels (forwarded) and pending ones (held).
    pub fn accepts_webhooks(self) -> bool {
        matches!(self, ChannelState::Approved | ChannelState::Pending)
    }

    /// An approved channel must be revoked before it is deleted: deleting it would silently
    /// drop the provider's webhooks.
    pub fn deletable(self) -> bool {
        self != ChannelState::Approved
    }
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::RequestApproval => "approval-request",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Revoke => "revoke",
        }
    }
}

/// A channel as stored, with its credentials already decrypted. Its `Debug` names the
/// credential fields but never shows their values, nor the webhook key.
#[derive(Clone)]
pub struct Channel {
    pub id: ChannelId,
    pub provider: String,
    pub name: String,
    pub credentials: Credentials,
    pub settings: Map<String, Value>,
    pub state: ChannelState,
    pub state_reason: Option<String>,
    pub webhook_key: Option<String>,
    pub channel_key: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field(
                "credentials",
                &self.credentials.expose_secret().keys().collect::<Vec<_>>(),
            )
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// One recorded state change.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StateChange {
    pub from: ChannelState,
    pub state: ChannelState,
    pub at: Timestamp,
    pub actor: String,
    pub reason: Option<String>,
}

/// A transition the channel's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: &'static str,
    pub transition: &'static str,
}

/// What a channel transition changes, decided from the channel as it is now (the same rule for
/// every engine; each applies it atomically its own way).
#[derive(Debug)]
pub struct PlannedTransition {
    pub change: StateChange,
    /// The channel's new webhook key, when it gets one with this change (approval requested
    /// while it has none).
    pub webhook_key: Option<String>,
    /// Whether the change retires the channel's webhook keys (current and any previous one
    /// still in its grace period): a rejected or revoked channel's URL never works again.
    pub retire_keys: bool,
    /// Whether the events held while pending are set apart for good (never forwarded, nor
    /// replayed): a rejection.
    pub discard_held: bool,
}

/// Decides `transition` for `ch` (the same rule for every store engine; each applies it
/// atomically its own way): an error for an illegal one, `Ok(None)` when it changes
/// nothing (asking again while pending hands out the same URL).
pub fn plan_transition(
    ch: &Channel,
    transition: Transition,
    actor: &str,
    reason: Option<String>,
) -> Result<Option<PlannedTransition>, IllegalTransition> {
    let to = ch.state.apply(transition).ok_or(IllegalTransition {
        from: ch.state.as_str(),
        transition: transition.name(),
    })?;
    if to == ch.state {
        return Ok(None);
    }
    Ok(Some(PlannedTransition {
        change: StateChange {
            from: ch.state,
            state: to,
            at: Timestamp::now(),
            actor: actor.to_string(),
            reason,
        },
        webhook_key: (ch.webhook_key.is_none() && to.accepts_webhooks())
            .then(crate::ids::webhook_key),
        retire_keys: !to.accepts_webhooks(),
        discard_held: to == ChannelState::Rejected,
    }))
}

#[cfg(test)]
mod debug_tests {
    use super::*;
    use crate::domain::secret::CredentialMap;

    #[test]
    fn debug_output_never_shows_credentials_or_the_webhook_key() {
        let mut credentials = Map::new();
        credentials.insert("send_api_key".into(), Value::from("key-do-not-print"));
        let channel = Channel {
            id: "chn_1".into(),
            provider: "naver_talktalk".into(),
            name: "Shop".into(),
            credentials: CredentialMap::boxed(credentials),
            settings: Map::new(),
            state: ChannelState::Approved,
            state_reason: None,
            webhook_key: Some("hook-do-not-print".into()),
            channel_key: "brk_1".into(),
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
        };
        let shown = format!("{channel:?}");
        assert!(
            shown.contains("send_api_key") && shown.contains("chn_1"),
            "{shown}"
        );
        assert!(!shown.contains("do-not-print"), "{shown}");
    }
}

#[cfg(test)]
mod tests {
    use super::ChannelState::*;
    use super::Transition::*;

    #[test]
    fn the_approval_lifecycle_follows_the_contract() {
        assert_eq!(Unverified.apply(RequestApproval), Some(Pending));
        assert_eq!(Pending.apply(Approve), Some(Approved));
        assert_eq!(Pending.apply(Reject), Some(Rejected));
        assert_eq!(Approved.apply(Revoke), Some(Revoked));
        assert_eq!(Rejected.apply(RequestApproval), Some(Pending));
        assert_eq!(Revoked.apply(RequestApproval), Some(Pending));
        assert_eq!(Pending.apply(RequestApproval), Some(Pending));
    }

    #[test]
    fn illegal_transitions_are_refused() {
        assert_eq!(Approved.apply(RequestApproval), None);
        assert_eq!(Unverified.apply(Approve), None);
        assert_eq!(Unverified.apply(Revoke), None);
        assert_eq!(Rejected.apply(Approve), None);
        assert_eq!(Pending.apply(Revoke), None);
        assert_eq!(Revoked.apply(Approve), None);
    }
}

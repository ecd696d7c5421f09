//! What a store operation can fail with. Each refusal a caller may answer differently has its
//! own variant (mapped to problems in one place, `crate::error`); an engine maps its own
//! errors (SQLite, Redis) into `Internal` inside the engine.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("cannot {transition} a channel that is {from}")]
    InvalidTransition {
        from: &'static str,
        transition: &'static str,
    },
    #[error("an approved channel must be revoked before it is deleted")]
    ChannelApproved,
    #[error("the delivery is still queued; it is retried on its schedule")]
    DeliveryQueued,
    #[error("the destination is disabled; enable it first")]
    DestinationDisabled,
    /// The lane was claimed by another worker after this one's lease ended.
    #[error("lane lease lost: the lane was leased to another worker")]
    LeaseLost,
    /// A record kept changing under a compare-and-set; the caller may try again.
    #[error("the record keeps changing; try again")]
    Busy,
    /// A unique field (`external_id`) already belongs to another record.
    #[error("{0} already belongs to another record")]
    Taken(&'static str),
    /// A team was given a member that is not an agent.
    #[error("no agent {0}")]
    UnknownAgent(String),
    #[error("the store is shutting down")]
    Closed,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<crate::domain::channel::IllegalTransition> for StoreError {
    fn from(e: crate::domain::channel::IllegalTransition) -> Self {
        StoreError::InvalidTransition {
            from: e.from,
            transition: e.transition,
        }
    }
}

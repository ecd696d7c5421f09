//! The engine's own error: a store refusal, or SQLite's error, which becomes
//! `StoreError::Internal` where it leaves the engine (the contract knows nothing of SQLite).

use crate::store::StoreError;

#[derive(Debug)]
pub enum Fail {
    Store(StoreError),
    Sql(rusqlite::Error),
}

/// What the engine's functions return; `?` takes both SQLite's errors and the store's.
pub type Res<T> = Result<T, Fail>;

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<anyhow::Error> for Fail {
    fn from(e: anyhow::Error) -> Self {
        Fail::Store(StoreError::Internal(e))
    }
}

impl From<Fail> for StoreError {
    fn from(e: Fail) -> Self {
        match e {
            Fail::Store(e) => e,
            Fail::Sql(e) => StoreError::Internal(anyhow::anyhow!("sqlite: {e}")),
        }
    }
}

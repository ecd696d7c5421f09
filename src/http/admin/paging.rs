//! Listings in pages, the way `/v1/events` pages: `limit` (1 to 500, default 50) and `after`
//! (the `next` of the previous page: the last item's id), answered as `{items, next}`.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::Code;
use crate::http::{ApiError, ApiResult};
use crate::store::StoreError;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> ApiResult<usize> {
        super::events::limit(self.limit)
    }

    /// The id the page starts after, of the listed kind.
    pub fn after<Id: From<String>>(&self) -> Option<Id> {
        self.after.clone().filter(|a| !a.is_empty()).map(Id::from)
    }
}

/// A store's answer to a page request: an `after` that names nothing is `invalid_cursor`.
pub fn cursor_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::new(
            Code::InvalidCursor,
            "after must be an id from a previous page",
        ),
        other => other.into(),
    }
}

/// The `next` cursor: the last item's id when the page is full.
pub fn next<T>(items: &[T], limit: usize, id: impl Fn(&T) -> &str) -> Option<String> {
    (items.len() == limit)
        .then(|| items.last().map(|i| id(i).to_string()))
        .flatten()
}

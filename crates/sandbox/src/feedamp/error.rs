//! A refused FeedAMP call: status, the `error` text of its `{"error": ..}` body, and the
//! headers that go with it.

use axum::http::StatusCode;

/// A refused call: its status, the `error` text, and what to say in `Retry-After` or
/// `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) error: String,
    /// `Retry-After` seconds.
    pub(crate) retry_after_secs: Option<u64>,
    /// Whether to add `WWW-Authenticate: Basic`.
    pub(crate) basic_challenge: bool,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            retry_after_secs: None,
            basic_challenge: false,
        }
    }

    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub(crate) fn challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    pub(crate) fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }

    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("order {id:?} not found"))
    }
}

//! Settings of a fake ADM ([`AdmSandboxConfig`]), why one could not start, and the check of
//! the settings before it starts.

use std::net::SocketAddr;

use axum::http::HeaderName;

/// Settings of a fake ADM.
#[derive(Clone, PartialEq, Eq)]
pub struct AdmSandboxConfig {
    /// Where [`AdmSandbox::start`](crate::adm::AdmSandbox::start) binds; default
    /// `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// The API key callers must present.
    pub api_key: String,
    /// A header that may carry the bare key instead of `Authorization: Bearer`.
    pub api_key_header: Option<String>,
    /// The Create Fulfillment path; default [`AdmSandboxConfig::DEFAULT_FULFILLMENT_PATH`].
    pub fulfillment_path: String,
    /// Accept fulfillments for orders never registered; default true. Registered orders are
    /// checked either way.
    pub accept_unknown_orders: bool,
    /// Refuse body fields that seed 002 does not name; default true.
    pub reject_unknown_fields: bool,
    /// How many accepted fulfillments and request log entries are kept (each; the oldest go
    /// first, counters keep counting); default [`AdmSandboxConfig::DEFAULT_KEEP_RECORDS`].
    pub keep_records: usize,
}

impl std::fmt::Debug for AdmSandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmSandboxConfig")
            .field("listen", &self.listen)
            .field("api_key", &"[redacted]")
            .field("api_key_header", &self.api_key_header)
            .field("fulfillment_path", &self.fulfillment_path)
            .field("accept_unknown_orders", &self.accept_unknown_orders)
            .field("reject_unknown_fields", &self.reject_unknown_fields)
            .field("keep_records", &self.keep_records)
            .finish()
    }
}

impl AdmSandboxConfig {
    /// The Create Fulfillment path when none is configured.
    pub const DEFAULT_FULFILLMENT_PATH: &'static str = "/fulfillments";
    /// Records kept when not configured.
    pub const DEFAULT_KEEP_RECORDS: usize = 100_000;

    /// Defaults: a free port on 127.0.0.1, bearer key `api_key`, `/fulfillments`, unknown
    /// orders accepted, unknown fields refused.
    #[must_use]
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: api_key.into(),
            api_key_header: None,
            fulfillment_path: Self::DEFAULT_FULFILLMENT_PATH.to_owned(),
            accept_unknown_orders: true,
            reject_unknown_fields: true,
            keep_records: Self::DEFAULT_KEEP_RECORDS,
        }
    }

    /// Another address to bind.
    #[must_use]
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Also take the bare key in `header`.
    #[must_use]
    pub fn with_api_key_header(mut self, header: impl Into<String>) -> Self {
        self.api_key_header = Some(header.into());
        self
    }

    /// Another Create Fulfillment path.
    #[must_use]
    pub fn with_fulfillment_path(mut self, path: impl Into<String>) -> Self {
        self.fulfillment_path = path.into();
        self
    }

    /// Whether orders never registered are accepted.
    #[must_use]
    pub fn with_accept_unknown_orders(mut self, accept: bool) -> Self {
        self.accept_unknown_orders = accept;
        self
    }

    /// Whether fields seed 002 does not name are refused.
    #[must_use]
    pub fn with_reject_unknown_fields(mut self, reject: bool) -> Self {
        self.reject_unknown_fields = reject;
        self
    }

    /// How many records of each kind are kept.
    #[must_use]
    pub fn with_keep_records(mut self, keep: usize) -> Self {
        self.keep_records = keep;
        self
    }
}

/// Why a fake ADM could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound or read.
    #[error("could not listen for the fake ADM")]
    Listen(#[source] std::io::Error),
    /// `api_key_header` is not a valid header name.
    #[error("the API key header {0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// The fulfillment path does not start with `/` or is a control path.
    #[error("the fulfillment path {0:?} must start with `/` and not with `/_sandbox`")]
    InvalidPath(String),
    /// The API key is empty.
    #[error("the API key is empty")]
    EmptyApiKey,
}

/// The settings a fake ADM runs with, once checked.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The header that may carry the bare key.
    pub(crate) api_key_header: Option<HeaderName>,
    /// The Create Fulfillment path, trimmed.
    pub(crate) fulfillment_path: String,
}

/// Checks the key, the key header and the fulfillment path.
pub(crate) fn check(config: &AdmSandboxConfig) -> Result<Checked, StartError> {
    if config.api_key.trim().is_empty() {
        return Err(StartError::EmptyApiKey);
    }
    let api_key_header = match &config.api_key_header {
        None => None,
        Some(name) => Some(
            HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| StartError::InvalidHeaderName(name.clone()))?,
        ),
    };
    let path = config.fulfillment_path.trim().to_owned();
    if !path.starts_with('/') || path.starts_with("/_sandbox") {
        return Err(StartError::InvalidPath(config.fulfillment_path.clone()));
    }
    Ok(Checked {
        api_key_header,
        fulfillment_path: path,
    })
}

//! The fake ADM: its Create Fulfillment endpoint ([`AdmSandbox`], seed 002) with fault
//! injection, and ADM's side of the `orders/create` webhook ([`AdmOrderGenerator`] makes
//! orders in seed 001's shape, [`WebhookSender`] posts them).
//!
//! What the fake ADM answers on `POST <fulfillment_path>` (default `/fulfillments`), in this
//! order, after any injected fault (see [`crate::faults`]):
//! - `401 {"error": "Unauthorized Request", ..}` unless the key comes as
//!   `Authorization: Bearer <key>` or in the configured header;
//! - `415` unless `Content-Type` is `application/json`;
//! - `400` for a body that is not a JSON object with `order_id` (integer or non-empty string),
//!   `line_items` (a non-empty array of `{sku: non-empty string, quantity: integer >= 1}`),
//!   `tracking_number` (non-empty string) and optionally `tracking_url` (http or https). Line
//!   problems get seed 002's exact body `{"error": "Invalid SKU or Quantity", ..}`; others
//!   `{"error": "Invalid Request" | "Malformed JSON", "message": <naming the field>}`. With
//!   `reject_unknown_fields` (the default), any other field is refused too;
//! - for a registered order, `400 Invalid SKU or Quantity` when a SKU is not on it or more
//!   units would be shipped than ordered (over all fulfillments accepted for it); for an
//!   order not registered, `404 {"error": "Order Not Found", ..}` unless
//!   `accept_unknown_orders` (the default) is set;
//! - otherwise `200 {"order_id": <as sent>, "status": "created", "tracking_number",
//!   "created_at": <now, RFC 3339 UTC>}`, and the fulfillment is recorded.
//!
//! Repeats are accepted (ADM documents no idempotency): [`AdmSandbox::duplicates`] counts
//! fulfillments accepted again for the same order and tracking number.

mod generator;
mod ledger;
mod routes;
mod sender;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::HeaderName;
use tokio::net::TcpListener;

pub use generator::{AdmOrderGenerator, GeneratedOrder};
pub use ledger::{FulfilledLine, ReceivedFulfillment, RequestLog};
pub use routes::{FULFILLMENTS_PATH, ORDERS_PATH, REQUESTS_PATH, RESET_PATH};
pub use sender::{
    DEFAULT_SIGNATURE_HEADER, SendError, WebhookReply, WebhookSender, send_order, sign,
};

use crate::faults::FaultInjector;
use crate::server::{Server, StopSignal};

/// Settings of a fake ADM.
#[derive(Clone, PartialEq, Eq)]
pub struct AdmSandboxConfig {
    /// Where [`AdmSandbox::start`] binds; default `127.0.0.1:0` (a free port).
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

/// A fake ADM serving in a background task. Dropping it stops the server too (without
/// waiting); [`AdmSandbox::shutdown`] waits.
#[derive(Debug)]
pub struct AdmSandbox {
    app: Arc<routes::AdmApp>,
    fulfillment_path: String,
    server: Server,
}

impl AdmSandbox {
    /// Binds `config.listen` and serves there. Call inside a tokio runtime.
    ///
    /// # Errors
    /// [`StartError`]: the address cannot be bound, or a setting is invalid.
    pub async fn start(config: AdmSandboxConfig) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(StartError::Listen)?;
        Self::from_listener(listener, config)
    }

    /// Serves on a listener the caller bound (`config.listen` is ignored). Call inside a tokio
    /// runtime.
    ///
    /// # Errors
    /// [`StartError`]: a setting is invalid, or the listener's address cannot be read.
    pub fn from_listener(
        listener: TcpListener,
        config: AdmSandboxConfig,
    ) -> Result<Self, StartError> {
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
            return Err(StartError::InvalidPath(config.fulfillment_path));
        }
        let stop = StopSignal::new();
        let app = Arc::new(routes::AdmApp {
            api_key: config.api_key,
            api_key_header,
            accept_unknown_orders: AtomicBool::new(config.accept_unknown_orders),
            reject_unknown_fields: config.reject_unknown_fields,
            ledger: ledger::Ledger::new(config.keep_records),
            faults: FaultInjector::new(),
            stop: stop.clone(),
        });
        let router = routes::router(Arc::clone(&app), &path);
        let server = Server::spawn(listener, router, stop).map_err(StartError::Listen)?;
        tracing::debug!(addr = %server.addr(), "sandbox ADM listening");
        Ok(Self {
            app,
            fulfillment_path: path,
            server,
        })
    }

    /// The address served.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://<addr>`, with no trailing slash: the base URL for an ADM client.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The full Create Fulfillment URL.
    #[must_use]
    pub fn fulfillment_url(&self) -> String {
        format!("{}{}", self.base_url(), self.fulfillment_path)
    }

    /// The faults of this server; set them at any time.
    #[must_use]
    pub fn faults(&self) -> &FaultInjector {
        &self.app.faults
    }

    /// Registers an order ADM knows, with its SKUs and units (lines sharing a SKU add up).
    /// Registering an id again replaces the order and its shipped units.
    pub fn register_order(&self, id: &str, lines: &[(&str, u32)]) {
        self.app.ledger.register(id, lines);
    }

    /// Switches whether unregistered orders are accepted.
    pub fn set_accept_unknown_orders(&self, accept: bool) {
        self.app
            .accept_unknown_orders
            .store(accept, Ordering::Relaxed);
    }

    /// The fulfillments accepted, oldest first (at most `keep_records`).
    #[must_use]
    pub fn accepted(&self) -> Vec<ReceivedFulfillment> {
        self.app.ledger.accepted()
    }

    /// How many fulfillments were accepted since start (or [`AdmSandbox::reset`]).
    #[must_use]
    pub fn accepted_count(&self) -> u64 {
        self.app.ledger.accepted_count()
    }

    /// How many accepted fulfillments repeated an (order id, tracking number) pair accepted
    /// before.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.app.ledger.duplicates()
    }

    /// Units of `sku` accepted so far for a registered order; `None` for an unregistered one.
    #[must_use]
    pub fn shipped_units(&self, order_id: &str, sku: &str) -> Option<u64> {
        self.app.ledger.shipped(order_id, sku)
    }

    /// Every request received except on the control paths, oldest first (at most
    /// `keep_records`), with what it was answered.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestLog> {
        self.app.ledger.requests()
    }

    /// Waits until at least `n` fulfillments were accepted; false when `timeout` passes first.
    pub async fn wait_for_accepted(&self, n: u64, timeout: Duration) -> bool {
        self.app.ledger.wait_for_accepted(n, timeout).await
    }

    /// Forgets registered orders, records, counters and faults.
    pub fn reset(&self) {
        self.app.ledger.reset();
        self.app.faults.clear();
    }

    /// Stops taking connections, cuts delays short, and waits (at most 5 s) for open
    /// connections to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

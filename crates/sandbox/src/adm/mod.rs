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
//! An answer queued with [`AdmSandbox::answer_next`] is given verbatim, in place of all of
//! the above, to the next request that passes the faults and the key check.
//!
//! An injected `401` answers the body above; an injected `403` (a `forbidden` fault, or
//! credentials refused with `403`) answers `{"error": "Forbidden Request", "message": "The key
//! provided is not allowed to make this request."}`, worded like it (ADM documents no `403`).
//!
//! **`Idempotency-Key`** (ADM documents none; the sandbox honours one so that a client's
//! re-sends can be checked): a request whose key was seen on an accepted fulfillment, once
//! past the faults and the API key check, gets that first answer again, same status and body, and records nothing
//! (its log entry is marked `replayed`). Only accepted fulfillments are recorded: a refused
//! request (a fault, `401`, `415`, a body check, the order check) changed nothing, so it
//! leaves its key free and a re-send after the cause is fixed is handled afresh. The last
//! `keep_records` keys are remembered. Every log entry records its key.
//!
//! Repeats without a key (or with another key) are accepted (ADM documents no idempotency):
//! [`AdmSandbox::duplicates`] counts fulfillments accepted again for the same order and
//! tracking number.
//!
//! Files: the set both fakes have (see the crate docs), plus `sender.rs`, which posts ADM's
//! `orders/create` webhooks: ADM pushes its orders while FeedAMP's are fetched from its feed,
//! so the fake FeedAMP has no counterpart; and `replays.rs`, the answers recorded per
//! `Idempotency-Key`: FeedAMP's calls need none (its whole-order PUT replaces what it held,
//! its refunds carry stable numbers), so the fake FeedAMP only logs the key.

mod auth;
mod config;
mod control;
mod generator;
mod order;
mod replays;
mod routes;
mod sender;
mod store;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;

pub use config::{AdmSandboxConfig, StartError};
pub use control::{FULFILLMENTS_PATH, ORDERS_PATH, REQUESTS_PATH, RESET_PATH};
pub use generator::AdmOrderGenerator;
pub use order::GeneratedOrder;
pub use sender::{
    DEFAULT_SIGNATURE_HEADER, SendError, WebhookReply, WebhookSender, send_order, sign,
};
pub use store::{FulfilledLine, ReceivedFulfillment};

pub use crate::kit::log::RequestLog;

use crate::kit::faults::FaultInjector;
use crate::kit::log::RequestBook;
use crate::kit::start::{self, Server};

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
        let listener = start::bind(config.listen)
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
        let checked = config::check(&config)?;
        let path = checked.fulfillment_path;
        let (app, server) = start::serve(listener, "ADM", |stop| {
            let app = Arc::new(routes::AdmApp {
                api_key: config.api_key,
                api_key_header: checked.api_key_header,
                accept_unknown_orders: AtomicBool::new(config.accept_unknown_orders),
                reject_unknown_fields: config.reject_unknown_fields,
                store: store::Store::new(config.keep_records),
                replays: replays::Replays::new(config.keep_records),
                log: RequestBook::new(config.keep_records),
                faults: FaultInjector::new(),
                scripted: std::sync::Mutex::default(),
                stop,
            });
            let router = routes::router(Arc::clone(&app), &path);
            (app, router)
        })
        .map_err(StartError::Listen)?;
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
        self.server.base_url()
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

    /// Answers the next request that passes the faults and the API key check with `status`
    /// and `body` (JSON text, sent as it is) instead of handling it: nothing is recorded.
    /// Several calls queue answers for the requests after it, in turn. For a marketplace's odd
    /// answer, such as a reference holding control characters.
    pub fn answer_next(&self, status: u16, body: impl Into<String>) {
        let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
        self.app
            .scripted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back((status, body.into()));
    }

    /// Registers an order ADM knows, with its SKUs and units (lines sharing a SKU add up).
    /// Registering an id again replaces the order and its shipped units.
    pub fn register_order(&self, id: &str, lines: &[(&str, u32)]) {
        self.app.store.register(id, lines);
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
        self.app.store.accepted()
    }

    /// How many fulfillments were accepted since start (or [`AdmSandbox::reset`]).
    #[must_use]
    pub fn accepted_count(&self) -> u64 {
        self.app.store.accepted_count()
    }

    /// How many accepted fulfillments repeated an (order id, tracking number) pair accepted
    /// before.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.app.store.duplicates()
    }

    /// Units of `sku` accepted so far for a registered order; `None` for an unregistered one.
    #[must_use]
    pub fn shipped_units(&self, order_id: &str, sku: &str) -> Option<u64> {
        self.app.store.shipped(order_id, sku)
    }

    /// Every request received except on the control paths, oldest first (at most
    /// `keep_records`), with what it was answered.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestLog> {
        self.app.log.entries()
    }

    /// Waits until at least `n` fulfillments were accepted; false when `timeout` passes first.
    pub async fn wait_for_accepted(&self, n: u64, timeout: Duration) -> bool {
        self.app.store.wait_for_accepted(n, timeout).await
    }

    /// Forgets registered orders, records, counters, recorded answers and faults.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Stops taking connections, cuts delays short, and waits (at most 5 s) for open
    /// connections to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

//! The fake FeedAMP v1 Order API ([`FeedampSandbox`]): tokens, the new-orders feed, one order,
//! confirm, fulfil and refund, orders the marketplace cancels, pauses and releases, with
//! fault injection, a request log and orders from
//! [`SandboxOrder`] or [`FeedampOrderGenerator`]. It reads FeedAMP's JSON itself, from
//! `reference/feedamp-api.md`, and shares no types with the FeedAMP adapter.
//!
//! Every answer body is JSON; a refusal is `{"error": "<text naming the problem>"}` (the
//! documents give no error format, reference §5.6). What each route does, in order, after any
//! injected fault (see [`crate::faults`]):
//!
//! # `GET /api/v1/get_token`
//! - `401` (with `WWW-Authenticate: Basic`) unless HTTP Basic carries the configured username
//!   and password;
//! - **`429` with `Retry-After`** (the seconds until the oldest live token expires) when
//!   `max_live_tokens` (default 100) tokens are live: the reference says no more than 100 may
//!   be active at once. The sandbox refuses rather than evicting the oldest so that a client
//!   fetching a token per request is caught; `429` rather than `400` because waiting does
//!   help. Expired tokens are not live and do not count. The refusal is counted in
//!   [`FeedampSandbox::token_refusals`];
//! - otherwise `200 {"token": "<opaque>"}`, live for `token_ttl` (default 1 h), counted in
//!   [`FeedampSandbox::token_fetches`].
//!
//! Faults for this route are set on their own injector, [`FeedampSandbox::token_faults`]
//! (control path [`TOKEN_FAULTS_PATH`]), so that a test can fault the data calls without the
//! client's token fetch using up the faults, or fault only the token fetch.
//!
//! An injected `401` or `403` (a counted fault, or refused credentials) is worded as the real
//! checks word theirs: on the token route `401 {"error": "invalid username or password"}` and
//! `403 {"error": "this user is not authorised to get tokens for this account"}`; on the data
//! routes `401 {"error": "invalid token"}` and `403 {"error": "client \"<client id>\" is not
//! authorised for this account"}`.
//!
//! # Data routes: what every other `/api/v1` route checks first
//! - HTTP Basic is optional; when sent it must be right, else `401`;
//! - header `token` missing, unknown or expired: `401` (the text says which);
//! - header `client` missing or not the configured client id: `403`.
//!
//! # `GET /api/v1/orders` and `GET /api/v1/orders/new`
//! The same feed under both candidate paths (reference §3.1 #2): the orders not yet confirmed,
//! in the order they were added, as `{"orders": [Order], "next_cursor": "<opaque>" | null}`.
//! Query: `limit` 50 to 200 (default 100; anything else, `400`), `cursor` (from the previous
//! page; garbage, `400`), `include_raw` (`true`/`false`/`1`/`0`: adds a `raw_data` object to
//! each order). The feed is a work queue: a cursor holds the sequence number of the last order
//! of its page, and the next page is the unconfirmed orders after it, so paging stays stable
//! while orders are confirmed between pages (none is skipped or repeated). `next_cursor` is
//! `null` on the last page. Other query parameters are ignored.
//!
//! # `GET /api/v1/orders/{id}`
//! `{"order": [Order]}`: an array, as the documents' sample shows (reference §3.1 #3); `404`
//! for an unknown id. Confirmed and fulfilled orders are served too.
//!
//! The order (reference §4.3): `{"id", "state", "marketplace_state", "integration_name",
//! "paused": 0|1, "acknowledged": 0|1, "order_info": {..., "order_lines": [...]}}` with ids as
//! strings, money as bare JSON numbers written from exact decimal text in their shortest form
//! (`200`, `19.99`, `0.1`; never through a float), `purchase_date` as
//! `2018-05-01T23:52:01.000Z`, `latest_ship_date` in the same form or `""` (none), and
//! `shipping_country_code` 3-letter. Some generated orders
//! carry undocumented fields at the top level, in `order_info` and in a line.
//!
//! # `PUT /api/v1/orders/{id}/confirm`
//! No body. `200 {"order": {"id", "cp_order_number", "state"}}` (`state` `PLACED` unless the
//! order is further along); the order leaves the feed and gets `acknowledged: 1`. **Confirming
//! again also answers `200`** (v1 documents nothing else; v2 confirms once only) and counts
//! in [`FeedampSandbox::confirm_count`]. `404` for an unknown id.
//!
//! # `PUT /api/v1/orders/{id}/fulfill`
//! `404` for an unknown id; `415` unless `Content-Type: application/json`; then the body, in
//! the inferred shape of reference §5.2:
//! `{"order_lines": [{"mp_line_number", "fulfillments": [{"quantity_shipped", "shipped_date",
//! "carrier", "tracking_number", "tracking_url"?}], "cancellations": [{"quantity_cancelled",
//! "cancellation_reason"}]}]}`. `400` when: it is not that shape; a field is unknown (to catch
//! a drifting client); `order_lines` is empty or names a line twice or a line the order does
//! not have; a quantity is not a whole number >= 1; `carrier` or `tracking_number` is empty;
//! `tracking_url` is not http(s); `shipped_date` is not ISO 8601 (a date-time with or without
//! offset, or a date); `cancellation_reason` is not one of [`CANCELLATION_REASONS`]; or, per
//! line, shipped + cancelled exceeds the quantity ordered.
//!
//! **Full replace**: an accepted body becomes exactly the order's fulfilment state (lines it
//! leaves out have nothing). Partial states are accepted (`IN_PROGRESS`; a body with no units
//! at all puts the order back to `PLACED`, or `ORDERED` if unconfirmed). Once every unit is
//! shipped or cancelled the order is **locked** (`SHIPPED`, or `CANCELLED` when nothing
//! shipped) and: **a body with the same fulfilment state** (the same shipments and
//! cancellations per line, whatever the order of lines and entries or the date's offset)
//! **answers `200` again and is recorded** in [`FeedampSandbox::fulfil_calls`], so a harmless
//! retry shows up as a repeated call; **any other body answers `400`** ("rejects further
//! updates"). **A paused order answers `400`** to every fulfil call until it is released
//! (the documents say nothing of it: the sandbox's reading, so that a client sending while
//! FeedAMP holds an order is caught).
//!
//! # The marketplace's side
//! A test (or [`CANCEL_ORDER_PATH`], [`PAUSE_ORDER_PATH`], [`RELEASE_ORDER_PATH`]) can play
//! the marketplace: cancelling an order makes its `state` and `marketplace_state` read
//! `CANCELLED` and locks it (the documents list neither state; `CANCELLED` is in the sister
//! Order Source API's list); pausing sets `paused: 1`, releasing `paused: 0`. An accepted call answers `200 {"order": Order}`. Fulfilling an order not yet
//! confirmed is accepted (the documents do not forbid it); it stays in the feed until confirmed.
//!
//! # `POST /api/v1/orders/{id}/refund`
//! One order line per call (reference §5.4). `404` for an unknown id; `415` unless JSON; then
//! `{"refund_info": {"cp_refund_number", "mp_line_number", "refund_reason", "currency",
//! "refund_quantity", "item_refund"?, "item_tax_refund"?, "shipping_refund"?,
//! "shipping_tax_refund"?, "discount_refund"?, "refund_notes"?}}`. `400` when: a required
//! field is missing or empty; a field is unknown; an amount is not a non-negative plain JSON
//! number (a string, a sign or an exponent is refused); everything is zero; then, **a
//! `cp_refund_number` already posted (on any order) answers `400 {"error": "duplicate
//! cp_refund_number \"<n>\": refund <id> already has it"}`** (always containing the word
//! `duplicate`, counted in [`FeedampSandbox::duplicate_refunds`]); then the line is not on the
//! order, the currency is not the order's, or the line's refunded units would exceed its
//! quantity. Success: `201 {"id", "order_id", "state": "CREATED", "refund_info": <as sent>}`,
//! with the amounts' exact text kept ([`FeedampSandbox::refunds`]). Refunds are taken whatever
//! the order's state: the documents say a refund follows fulfilment but name no check.
//!
//! # `Idempotency-Key`
//! Not in FeedAMP's documents, and not needed by its calls (the whole-order PUT replaces what
//! the order held, refunds carry stable `cp_refund_number`s): the fake FeedAMP handles every
//! request afresh and only records the header in each request log entry, so that a test can
//! see a client's re-sends.
//!
//! # Everything else
//! Unknown paths `404`, wrong methods `405`: logged, never faulted. The control paths under
//! `/_sandbox/` ([`CONTROL_ORDERS_PATH`], [`CANCEL_ORDER_PATH`], [`PAUSE_ORDER_PATH`],
//! [`RELEASE_ORDER_PATH`], [`EXPIRE_TOKENS_PATH`], [`REQUESTS_PATH`],
//! [`REFUNDS_PATH`], [`RESET_PATH`], [`crate::faults::FAULTS_PATH`] for the data routes'
//! faults and [`TOKEN_FAULTS_PATH`] for the token route's) take no credentials and are neither
//! faulted nor logged.
//!
//! Files: the set both fakes have (see the crate docs); `wire.rs` has a submodule for each
//! body the API reads or writes (`fulfil`, `refund`, `query`, `order`), since FeedAMP's API has
//! several where ADM's has one call, and `auth.rs` also holds the token table.

mod auth;
mod config;
mod control;
mod generator;
mod order;
mod routes;
mod store;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::TcpListener;

pub use config::{FeedampSandboxConfig, StartError};
pub use control::{
    CANCEL_ORDER_PATH, CONTROL_ORDERS_PATH, EXPIRE_TOKENS_PATH, PAUSE_ORDER_PATH, REFUNDS_PATH,
    RELEASE_ORDER_PATH, REQUESTS_PATH, RESET_PATH, TOKEN_FAULTS_PATH,
};
pub use generator::FeedampOrderGenerator;
pub use order::{AddOrderError, SandboxLine, SandboxOrder};
pub use routes::{NEW_ORDERS_PATH, ORDERS_PATH, TOKEN_PATH};
pub use store::OrderState;
pub use wire::fulfil::CANCELLATION_REASONS;
pub use wire::query::{DEFAULT_LIMIT, MAX_LIMIT, MIN_LIMIT};
pub use wire::refund::REFUND_AMOUNTS;

pub use crate::kit::log::{RequestLog as FeedampRequestLog, max_in_window};

use crate::kit::faults::FaultInjector;
use crate::kit::log::RequestBook;
use crate::kit::start::{self, Server};

/// A fake FeedAMP serving in a background task. Dropping it stops the server too (without
/// waiting); [`FeedampSandbox::shutdown`] waits.
#[derive(Debug)]
pub struct FeedampSandbox {
    app: Arc<routes::FeedampApp>,
    server: Server,
}

impl FeedampSandbox {
    /// Binds `config.listen` and serves there. Call inside a tokio runtime.
    ///
    /// # Errors
    /// [`StartError`]: the address cannot be bound, or a setting is invalid.
    pub async fn start(config: FeedampSandboxConfig) -> Result<Self, StartError> {
        config::check(&config)?;
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
        config: FeedampSandboxConfig,
    ) -> Result<Self, StartError> {
        config::check(&config)?;
        let (app, server) = start::serve(listener, "FeedAMP", |stop| {
            let app = Arc::new(routes::FeedampApp {
                username: config.username,
                password: config.password,
                client_id: config.client_id.trim().to_owned(),
                tokens: Mutex::new(auth::Tokens::new(config.token_ttl, config.max_live_tokens)),
                store: store::Store::new(),
                log: RequestBook::new(config.keep_records),
                faults: FaultInjector::new(),
                token_faults: FaultInjector::new(),
                stop,
            });
            (Arc::clone(&app), routes::router(app))
        })
        .map_err(StartError::Listen)?;
        Ok(Self { app, server })
    }

    /// The address served.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://<addr>`, with no trailing slash: the base URL for a FeedAMP client (the routes
    /// are under `/api/v1`).
    #[must_use]
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The faults of the data routes (every `/api/v1` route but the token route).
    #[must_use]
    pub fn faults(&self) -> &FaultInjector {
        &self.app.faults
    }

    /// The faults of the token route.
    #[must_use]
    pub fn token_faults(&self) -> &FaultInjector {
        &self.app.token_faults
    }

    /// Adds an order to the end of the feed; returns its id.
    ///
    /// # Errors
    /// [`AddOrderError`]: the order is invalid or its id is taken.
    pub fn add_order(&self, order: SandboxOrder) -> Result<String, AddOrderError> {
        let ids = self.app.store.add(vec![order])?;
        Ok(ids.into_iter().next().unwrap_or_default())
    }

    /// Adds several orders, all or none; returns their ids.
    ///
    /// # Errors
    /// [`AddOrderError`]: one is invalid or an id is taken; nothing is added then.
    pub fn add_orders(&self, orders: Vec<SandboxOrder>) -> Result<Vec<String>, AddOrderError> {
        self.app.store.add(orders)
    }

    /// Adds the first `n` orders of [`FeedampOrderGenerator::new(seed)`](FeedampOrderGenerator);
    /// returns their ids.
    ///
    /// # Errors
    /// [`AddOrderError::DuplicateId`] when those orders (the same seed) were added already.
    pub fn add_generated(&self, n: usize, seed: u64) -> Result<Vec<String>, AddOrderError> {
        let orders = FeedampOrderGenerator::new(seed).take(n).collect();
        self.app.store.add(orders)
    }

    /// Every order id, in the order added.
    #[must_use]
    pub fn order_ids(&self) -> Vec<String> {
        self.app.store.ids()
    }

    /// How many orders are still in the feed (not confirmed).
    #[must_use]
    pub fn unconfirmed_count(&self) -> usize {
        self.app.store.unconfirmed_count()
    }

    /// An order as the API serves it; `None` for an unknown id.
    #[must_use]
    pub fn order_json(&self, id: &str) -> Option<Value> {
        self.app.store.order_json(id)
    }

    /// The marketplace cancels the order: its `state` reads `CANCELLED` from now on (see
    /// [`CANCEL_ORDER_PATH`]). False for an unknown id.
    pub fn cancel_order(&self, id: &str) -> bool {
        self.app
            .store
            .marketplace(id, store::MarketplaceAction::Cancel)
            .is_ok()
    }

    /// The marketplace pauses the order (`paused: 1`; fulfil calls are refused until it is
    /// released). False for an unknown id.
    pub fn pause_order(&self, id: &str) -> bool {
        self.app
            .store
            .marketplace(id, store::MarketplaceAction::Pause)
            .is_ok()
    }

    /// The marketplace releases the order (`paused: 0`). False for an unknown id.
    pub fn release_order(&self, id: &str) -> bool {
        self.app
            .store
            .marketplace(id, store::MarketplaceAction::Release)
            .is_ok()
    }

    /// An order's state; `None` for an unknown id.
    #[must_use]
    pub fn order_state(&self, id: &str) -> Option<OrderState> {
        self.app.store.state(id)
    }

    /// How many times the order was confirmed (more than 1: repeats); 0 for an unknown id.
    #[must_use]
    pub fn confirm_count(&self, id: &str) -> u32 {
        self.app.store.confirm_count(id)
    }

    /// Every fulfil body accepted for the order, oldest first, identical repeats after the
    /// lock included.
    #[must_use]
    pub fn fulfil_calls(&self, id: &str) -> Vec<Value> {
        self.app.store.fulfil_calls(id)
    }

    /// The fulfil body that set the order's current fulfilment state, if any.
    #[must_use]
    pub fn fulfilment(&self, id: &str) -> Option<Value> {
        self.app.store.fulfilment(id)
    }

    /// Every refund accepted, oldest first: the order id and `refund_info` as sent (amounts
    /// with their exact text).
    #[must_use]
    pub fn refunds(&self) -> Vec<(String, Value)> {
        self.app.store.refunds()
    }

    /// How many refunds were refused for a `cp_refund_number` already posted.
    #[must_use]
    pub fn duplicate_refunds(&self) -> u64 {
        self.app.store.duplicate_refunds()
    }

    /// How many tokens were issued.
    #[must_use]
    pub fn token_fetches(&self) -> u64 {
        self.app.tokens().issued()
    }

    /// How many token requests were refused because the cap of live tokens was reached.
    #[must_use]
    pub fn token_refusals(&self) -> u64 {
        self.app.tokens().refused()
    }

    /// How many tokens are live now.
    #[must_use]
    pub fn live_tokens(&self) -> usize {
        self.app.tokens().live_count(Instant::now())
    }

    /// Expires every live token now (data calls with them then get `401`); returns how many.
    pub fn expire_tokens(&self) -> usize {
        self.app.tokens().expire_all(Instant::now())
    }

    /// Every request to the API (not the control paths), in arrival order, at most
    /// `keep_records`.
    #[must_use]
    pub fn requests(&self) -> Vec<FeedampRequestLog> {
        self.app.log.entries()
    }

    /// The most requests (token route included) that arrived in any window of `window`; see
    /// [`max_in_window`] for the jitter to allow for.
    #[must_use]
    pub fn max_requests_in_window(&self, window: Duration) -> usize {
        max_in_window(
            self.requests().iter().map(|entry| entry.since_start),
            window,
        )
    }

    /// The most requests that arrived in any one second.
    #[must_use]
    pub fn requests_per_second_max(&self) -> usize {
        self.max_requests_in_window(Duration::from_secs(1))
    }

    /// Waits until `condition` holds, checking after every change to orders or refunds; false
    /// when `timeout` passes first.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut condition: impl FnMut(&Self) -> bool,
    ) -> bool {
        let mut changes = self.app.store.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            if condition(self) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return condition(self),
            }
        }
    }

    /// Forgets orders, refunds, tokens, the log and every fault.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Stops taking connections, cuts delays short, and waits (at most 5 s) for open
    /// connections to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

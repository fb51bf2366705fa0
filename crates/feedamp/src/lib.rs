//! The FeedAMP v1 marketplace adapter ("Order Management API"): a token client, the new-orders
//! feed as the domain's `OrderSource`, and confirm, whole-order fulfil and one-line refunds as
//! its `Marketplace`. [`FeedampClient`] implements both ports; one client is one FeedAMP account.
//!
//! What FeedAMP v1 offers and its known limits (reference `feedamp-api.md`, design section 4):
//! - **Authentication.** `GET /api/v1/get_token` with HTTP Basic returns `{"token"}`; every
//!   data call carries the `token` and `client` (account id) headers, and Basic as well (every
//!   documented example sends all three). At most **100 tokens** may be active per account and
//!   the **token lifetime is undocumented**: the token is cached and shared by every call of a
//!   client, and renewed only when a data call answers 401 (once, single flight, then the call
//!   is repeated once). A 401 on the token route or a second 401 is an auth failure; **403**
//!   means the client id is not authorised (or the IP is not allow-listed): a configuration
//!   error, logged at error level. Passwords and tokens are never logged.
//! - **Rate.** FeedAMP recommends at most **2 requests per second**; all calls of one client,
//!   token calls included, are spaced evenly by a configurable minimum interval (500 ms).
//!   FeedAMP itself imports from marketplaces about every 15 minutes.
//! - **New orders.** A cursor-paged feed (`limit` 50 to 200, default 100) of the orders not yet
//!   confirmed: a **work queue** that an order leaves once confirmed. Its path is undocumented
//!   (`/api/v1/orders/new` or `/api/v1/orders`): configurable, default in one constant. There is
//!   no date filter. Money is JSON numbers (read from their text, never through f64), ids are
//!   (up to 18-digit) strings, dates are UTC (`2018-05-01T23:52:01.000Z`), the country is
//!   three letters (`USA`, read by the domain's ISO 3166-1 table), and fields are added
//!   without notice (unknown fields are ignored and each order's JSON is kept byte for byte).
//!   v1 gives **no order totals**: they are summed from the lines (see the `NewOrder` mapping
//!   in `inbound.rs`). A field that only informs (email, address, country, dates) never makes
//!   an order unmappable: it is kept as given or left out, and flagged on the order.
//! - **One order.** `GET /api/v1/orders/{id}` answers `{"order": [Order]}` (an array, as the
//!   documents' sample shows). Open orders are re-read with it on a schedule
//!   (`feedamp.state_check_secs`), through the same token and request spacing as every other
//!   call: `paused` (`0`/`1`) is a hold, and a `state` or `marketplace_state` reading
//!   `CANCELLED` is a cancellation at the marketplace (the state list is undocumented; see
//!   `state.rs` for what is inferred). A 404 is an order FeedAMP does not know, not a
//!   cancellation; a 429 ends the round.
//! - **Confirm.** `PUT /api/v1/orders/{id}/confirm`, no body.
//! - **Fulfil.** `PUT /api/v1/orders/{id}/fulfill` takes **the whole order** in one call and
//!   **fully replaces** every shipment and cancellation FeedAMP holds; once every unit is
//!   shipped or cancelled the order **locks** and later updates are refused. The body is
//!   undocumented (inferred; built in one function from the order's full current state, so a
//!   retry is harmless). A carrier is required; cancellation reasons are FeedAMP's seven.
//! - **Refunds.** `POST /api/v1/orders/{id}/refund` takes **one order line per call** and
//!   answers 201; the body is undocumented (inferred from the answer's `refund_info`). Each
//!   line carries a stable refund number, and a refusal calling it a duplicate counts as
//!   delivered, so a line reaches FeedAMP once even when a retry follows a lost answer.
//! - **No idempotency keys, no documented error format, no documented 429**; `Retry-After` is
//!   honoured if sent. 408, 429, 5xx, timeouts and connection errors are retried; other 4xx
//!   are rejected with FeedAMP's body text.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![deny(clippy::float_arithmetic)]

mod api;
mod auth;
mod client;
mod config;
mod error;
mod fields;
mod inbound;
mod limit;
mod model;
mod settings;
mod source;
mod state;

pub use client::FeedampClient;
pub use config::{FeedampConfig, FeedampConfigError, Secret};
pub use settings::{Feedamp, FeedampAccount};

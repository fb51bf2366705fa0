//! The mapping between stored rows and the domain's records that the PostgreSQL and SQLite
//! stores share, so that it exists once and the two cannot drift apart.
//!
//! Each store keeps its own SQL, transactions, claim and bulk strategy, and hands rows across
//! four seams: [`Columns`], which reads one column of one row in the store's own types (SQLite
//! keeps time and money as text, PostgreSQL natively); the statement traits
//! [`write::OrderWrites`] and [`read::OrderReads`], which run one statement each;
//! [`store::Transactions`], which begins and commits the transactions they run in; and
//! [`statement::Statements`], which runs one statement on its own for a port written here
//! over the store's SQL (early cancellations). What sits between them is here: the row shapes
//! of an order (header, lines, allocations, refunds, history, deliveries), the codecs of
//! addresses and enums, the order in which an insert or a save writes its rows, and the
//! assembly of whole orders from their child rows.
//!
//! Invariant: no SQL and no database driver; only the domain and small pure crates.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod cancellations;
pub mod channels;
mod codec;
mod columns;
pub mod deadlines;
pub mod inbound;
pub mod keyset;
pub mod outbox;
pub mod read;
pub mod retention;
pub mod statement;
pub mod store;
pub mod write;

pub use codec::{address_from_json, address_to_json, corrupt, count, int, position};
pub use columns::Columns;

/// What [`impl_order_store!`], [`impl_retention!`] and [`impl_early_cancellations!`] name, so that a store crate needs no
/// import for them.
#[doc(hidden)]
pub mod __private {
    pub use async_trait::async_trait;
    pub use orderbridge_domain::alert::Alert;
    /// A time, as the ports take it.
    pub type DateTime = chrono::DateTime<chrono::Utc>;
    pub use orderbridge_domain::order::{MarketplaceCancel, Order, Version};
    pub use orderbridge_domain::outbox::NewDelivery;
    pub use orderbridge_domain::ports::store::{
        DuePage, EarlyCancellations, OrderCursor, Retention,
    };
    pub use orderbridge_domain::ports::store::{
        InsertError, NewOrderRows, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
    };
    pub use orderbridge_domain::retention::{DueInbound, Erasure};
    pub use orderbridge_domain::values::InboundId;
    pub use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
}

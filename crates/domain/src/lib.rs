//! orderbridge's pure core: the order model and its rules (design section 3), the ports the
//! adapters implement, the outbox policy and the use-case services.
//!
//! Invariant: this crate does no IO. It depends on no async runtime, database, HTTP or JSON
//! crate; the tidy tests in `xtask` check that.

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

pub mod alert;
pub mod health;
pub mod inbound;
pub mod order;
pub mod outbox;
pub mod ports;
pub mod retention;
pub mod services;
pub mod settings;
pub mod standard_webhooks;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transport;
pub mod values;

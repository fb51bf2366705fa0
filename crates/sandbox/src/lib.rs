//! Fake marketplace servers for tests, benchmarks and demos: a fake ADM ([`adm`]) and a fake
//! FeedAMP v1 Order API ([`feedamp`]), with fault injection ([`faults`]) that tests set in
//! process or a driver sets over HTTP.
//!
//! The fakes read and write the marketplaces' JSON themselves, from the seed documents, and do
//! not reuse the adapter crates' types: an adapter that drifts from the documents then fails
//! against the sandbox instead of agreeing with itself.
//!
//! Layout: one module per marketplace (`adm/`, `feedamp/`), each with the same files:
//! `mod.rs` (the sandbox type and its start), `config.rs` (its settings), `routes.rs` (the
//! marketplace's routes), `control.rs` (the `/_sandbox/` control paths), `auth.rs` (the
//! marketplace's credentials), `store.rs` (what the fake holds), `wire.rs` (its JSON),
//! `order.rs` (the orders put into it) and `generator.rs` (seeded orders); what only one
//! marketplace needs is named in its module docs. What the two share is the kit (`kit/`):
//! the fault plan and its control path ([`faults`]), the request log, start-up and shutdown,
//! the HTTP connections a fault can cut, a small seeded generator and the base of the order
//! generators.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod adm;
pub mod feedamp;
mod kit;

pub use kit::faults;

pub use adm::{
    AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, FulfilledLine, GeneratedOrder,
    ReceivedFulfillment, RequestLog, SendError, StartError, WebhookReply, WebhookSender,
    send_order,
};
pub use faults::{Fault, FaultInjector, FaultPlan, PendingFaults, Refusal};
pub use feedamp::{
    AddOrderError, FeedampOrderGenerator, FeedampRequestLog, FeedampSandbox, FeedampSandboxConfig,
    OrderState, SandboxLine, SandboxOrder, StartError as FeedampStartError,
};

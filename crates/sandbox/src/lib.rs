//! Fake marketplace servers for tests, benchmarks and demos: a fake ADM ([`adm`]) and a fake
//! FeedAMP v1 Order API ([`feedamp`]), with fault injection ([`faults`]) that tests set in
//! process or a driver sets over HTTP.
//!
//! The fakes read and write the marketplaces' JSON themselves, from the seed documents, and do
//! not reuse the adapter crates' types: an adapter that drifts from the documents then fails
//! against the sandbox instead of agreeing with itself.
//!
//! Layout: one module per marketplace (`adm/`, `feedamp/`), with what they share in
//! [`faults`] (the fault plan and its control path), `server` (the HTTP server that can drop
//! a connection without answering) and `prng` (a small seeded generator).

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
pub mod faults;
pub mod feedamp;
mod prng;
mod server;

pub use adm::{
    AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, FulfilledLine, GeneratedOrder,
    ReceivedFulfillment, RequestLog, SendError, StartError, WebhookReply, WebhookSender,
    send_order,
};
pub use faults::{Fault, FaultInjector, FaultPlan, PendingFaults};
pub use feedamp::{
    AddOrderError, FeedampOrderGenerator, FeedampRequestLog, FeedampSandbox, FeedampSandboxConfig,
    OrderState, SandboxLine, SandboxOrder, StartError as FeedampStartError,
};

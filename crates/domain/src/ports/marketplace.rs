//! The `Marketplace` port: what one channel can be told, and how each call ended.

use std::time::Duration;

use async_trait::async_trait;

use crate::order::{Cancellation, Fulfillment, Order, Refund};
use crate::values::LineNo;

/// How a channel takes shipments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FulfillmentMode {
    /// One call per package, as it ships (ADM).
    PerShipment,
    /// One call for the whole order once every unit is shipped or cancelled, replacing what the
    /// marketplace held (FeedAMP v1).
    WholeOrder,
}

/// How a channel takes cancellations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationSupport {
    /// It has no endpoint for them: they are recorded and noted, not sent.
    None,
    /// One call per cancellation.
    PerCancellation,
    /// They travel inside the whole-order fulfillment call.
    InWholeOrderFulfillment,
}

/// How a channel takes refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundSupport {
    /// It has no endpoint for them: they are recorded and noted, not sent.
    None,
    /// One call per refund, all lines together.
    PerRefund,
    /// One call per refunded order line, each with its own stable refund number (FeedAMP).
    PerLine,
}

/// What a channel can do, declared by its adapter. The outbox policy queues deliveries from
/// this, and the services enforce its requirements on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether received orders are confirmed back.
    pub confirms_orders: bool,
    /// How shipments are sent.
    pub fulfillment: FulfillmentMode,
    /// How cancellations are sent.
    pub cancellations: CancellationSupport,
    /// How refunds are sent.
    pub refunds: RefundSupport,
    /// Whether every shipment must name its carrier.
    pub requires_carrier: bool,
}

/// How one call to a marketplace ended, classified by the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The marketplace has it.
    Delivered {
        /// The marketplace's reference for it, if it gave one.
        remote_ref: Option<String>,
    },
    /// A passing failure (timeout, connection error, 408, 429, 5xx): try again later.
    Retry {
        /// What went wrong.
        reason: String,
        /// How long the marketplace asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The marketplace refused it for good (400, 404, 422): park it for an operator.
    Rejected {
        /// The marketplace's own message.
        reason: String,
    },
    /// Credentials were refused even after a refresh (401 with a fresh token, 403): a
    /// configuration problem.
    AuthFailed {
        /// What the marketplace said.
        reason: String,
    },
}

impl Outcome {
    /// The outcome for a call this channel does not support.
    #[must_use]
    pub fn unsupported(what: &str) -> Self {
        Self::Rejected {
            reason: format!("this channel has no endpoint for {what}"),
        }
    }
}

/// One marketplace channel's outbound calls. Every call is made with the order's full current
/// state, so that a retried call sends what is true now. Implementations classify every
/// failure into an [`Outcome`] and never panic; they carry their own timeouts and rate limits.
///
/// The default bodies answer [`Outcome::Rejected`] for calls the channel does not declare in
/// its [`Capabilities`].
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Marketplace: Send + Sync + std::fmt::Debug {
    /// What this channel can do.
    fn capabilities(&self) -> Capabilities;

    /// Tells the marketplace orderbridge has the order.
    async fn confirm(&self, order: &Order) -> Outcome {
        let _ = order;
        Outcome::unsupported("confirmations")
    }

    /// Sends one shipment (per-shipment channels).
    async fn send_fulfillment(&self, order: &Order, fulfillment: &Fulfillment) -> Outcome {
        let _ = (order, fulfillment);
        Outcome::unsupported("per-shipment fulfillments")
    }

    /// Sends every shipment and cancellation of a complete order in one call (whole-order
    /// channels). Built from the order's state at call time, so a retry is harmless.
    async fn send_order_fulfillment(&self, order: &Order) -> Outcome {
        let _ = order;
        Outcome::unsupported("whole-order fulfillments")
    }

    /// Sends one cancellation (channels with a cancellation endpoint).
    async fn send_cancellation(&self, order: &Order, cancellation: &Cancellation) -> Outcome {
        let _ = (order, cancellation);
        Outcome::unsupported("cancellations")
    }

    /// Sends a refund; `line` names the refund line for channels that take one line per call.
    async fn send_refund(&self, order: &Order, refund: &Refund, line: Option<LineNo>) -> Outcome {
        let _ = (order, refund, line);
        Outcome::unsupported("refunds")
    }
}

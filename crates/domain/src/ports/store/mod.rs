//! The storage ports, one per capability: [`OrderStore`] (orders and their history),
//! [`DeliveryQueue`] (the dispatcher's side of the outbox), [`DeliveryLog`] (the operators'
//! side), [`PollState`] (pull channels' cursors and leases), [`ChannelStates`] (channel health),
//! [`AlertQueue`] (alerts to operators), [`InboundLog`] (the inbound quarantine),
//! [`EarlyCancellations`] (marketplace cancellations before their order), [`Retention`]
//! (erasing personal data kept past `retention.days`), [`Deadlines`] (overdue orders and their
//! alerts) and [`Health`]. One store type
//! implements them all ([`Store`]); each service takes only the ports it uses, and a test double
//! wraps only the port it changes.

mod cancellations;
mod channels;
mod deadlines;
mod health;
mod inbound;
mod orders;
mod outbox;
mod poll;
mod retention;

pub use cancellations::EarlyCancellations;
pub use channels::{AlertQueue, ChannelStates, QueuedAlert};
pub use deadlines::{
    DeadlineCursor, Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery,
};
pub use health::Health;
pub use inbound::{InboundError, InboundLog};
pub use orders::{InsertError, OrderCursor, OrderPage, OrderQuery, OrderStore, SaveError};
pub use outbox::{
    AttemptResult, ChannelStats, ClaimRequest, Claimed, Completion, DeliveryLog, DeliveryQuery,
    DeliveryQueue, Lease, LeaseError, OutboxStats, Requeue, RequeueError, ResolveError,
};
pub use poll::PollState;
pub use retention::{DuePage, Retention};

#[cfg(feature = "mocks")]
pub use cancellations::MockEarlyCancellations;
#[cfg(feature = "mocks")]
pub use channels::{MockAlertQueue, MockChannelStates};
#[cfg(feature = "mocks")]
pub use deadlines::MockDeadlines;
#[cfg(feature = "mocks")]
pub use health::MockHealth;
#[cfg(feature = "mocks")]
pub use inbound::MockInboundLog;
#[cfg(feature = "mocks")]
pub use orders::MockOrderStore;
#[cfg(feature = "mocks")]
pub use outbox::{MockDeliveryLog, MockDeliveryQueue};
#[cfg(feature = "mocks")]
pub use poll::MockPollState;
#[cfg(feature = "mocks")]
pub use retention::MockRetention;

/// A failure of the storage technology itself (connection lost, disk full, corrupt row). The
/// services pass it on; the HTTP layer answers 500/503 and logs the cause chain.
#[derive(Debug, thiserror::Error)]
#[error("storage failed: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure described in words.
    #[must_use]
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A failure with its underlying cause.
    #[must_use]
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Every storage port at once: what a store adapter implements and what the composition root
/// opens. Implemented for every type that implements the ports; a `&dyn Store` or
/// `Arc<dyn Store>` coerces to any one of them.
pub trait Store:
    OrderStore
    + DeliveryQueue
    + DeliveryLog
    + PollState
    + ChannelStates
    + AlertQueue
    + InboundLog
    + EarlyCancellations
    + Retention
    + Deadlines
    + Health
{
}

impl<T> Store for T where
    T: OrderStore
        + DeliveryQueue
        + DeliveryLog
        + PollState
        + ChannelStates
        + AlertQueue
        + InboundLog
        + EarlyCancellations
        + Retention
        + Deadlines
        + Health
{
}

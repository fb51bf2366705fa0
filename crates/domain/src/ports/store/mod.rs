//! The storage ports, one per capability: [`OrderStore`] (orders and their history),
//! [`DeliveryQueue`] (the dispatcher's side of the outbox), [`DeliveryLog`] (the operators'
//! side), [`PollState`] (pull channels' cursors and leases), [`ChannelStates`] (channel health),
//! [`AlertQueue`] (alerts to operators), [`InboundLog`] (the inbound quarantine),
//! [`EarlyCancellations`] (marketplace cancellations before their order), [`Retention`]
//! (erasing personal data kept past `retention.days`), [`Deadlines`] (overdue orders and their
//! alerts), [`WebhookIds`] (signed webhook calls received, so that a replay is refused) and
//! [`Health`]. One store type
//! implements them all ([`Store`]); each service takes only the ports it uses, and a test double
//! wraps only the port it changes.

mod cancellations;
mod channels;
mod deadlines;
mod error;
mod health;
mod inbound;
mod orders;
mod outbox;
mod poll;
mod retention;
mod webhook_ids;

pub use cancellations::EarlyCancellations;
pub use channels::{AlertQueue, ChannelStates, QueuedAlert};
pub use deadlines::{
    DeadlineCursor, Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery,
};
pub use error::{StoreError, Unavailable, is_unavailable};
pub use health::Health;
pub use inbound::{InboundError, InboundLog};
pub use orders::{
    InsertError, NewOrderRows, OrderCursor, OrderPage, OrderQuery, OrderStore, SaveError,
};
pub use outbox::{
    AttemptResult, ChannelStats, ClaimRequest, Claimed, Completion, DeliveryLog, DeliveryQuery,
    DeliveryQueue, Lease, LeaseError, OnQueued, OutboxStats, Requeue, RequeueError, ResolveError,
    lease_end,
};
pub use poll::PollState;
pub use retention::{DuePage, Retention};
pub use webhook_ids::WebhookIds;

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
#[cfg(feature = "mocks")]
pub use webhook_ids::MockWebhookIds;

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
    + WebhookIds
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
        + WebhookIds
        + Health
{
}

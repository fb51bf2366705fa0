//! Use-case services: the operations the adapters call. They load, apply a rule, queue what the
//! outbox policy asks for, and save, retrying on version conflicts.

mod alerts;
mod channels;
mod deadlines;
mod deliveries;
mod dispatch;
mod health;
mod orders;
mod poll;
mod purge;
mod quarantine;
mod retry;
pub(crate) mod signed;

pub use alerts::{AlertSender, AlertsSent};
pub use channels::Channels;
pub use deadlines::{DeadlineService, OverdueCheck};
pub use deliveries::{DeliveryService, MAX_NOTE_CHARS, RequeueDeliveryError, RetryFilter};
pub use dispatch::{Attempt, Dispatched, Dispatcher, Marketplaces, Ready, Recorded, RetryPolicy};
pub use health::{ChannelActionError, ChannelService, ChannelView, HealthChange};
pub use orders::{
    Cancelled, FulfillmentRecorded, IngestError, Ingested, MarketplaceCancelOutcome, OrderService,
    OrderUpdateError, RefundRecorded, ServiceConfig, UpstreamError,
};
pub use poll::{PollError, PollReport, Poller, RoundStop, StateCheckReport};
pub use purge::{Purge, PurgeMode, PurgeReport, Purged};
pub use quarantine::{Quarantine, Replay};
pub use signed::{Admitted, CallRefused, SignedCalls};

#[cfg(test)]
mod dispatch_tests;
#[cfg(test)]
mod poll_tests;
#[cfg(test)]
mod record_tests;
#[cfg(test)]
mod state_check_tests;
#[cfg(test)]
mod tests;

//! The outbox ports: [`DeliveryQueue`] for the dispatcher that claims and sends deliveries,
//! [`DeliveryLog`] for the operators who list, inspect and requeue them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::alert::Alert;
use crate::order::OrderEvent;
use crate::outbox::{Delivery, DeliveryState};
use crate::ports::marketplace::Outcome;
use crate::values::{ChannelId, DeliveryId, OrderId};

/// Why an outcome could not be recorded on a claimed delivery.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The lease expired and another worker may have claimed the row; nothing was written.
    #[error("lease on delivery {0} was lost")]
    Lost(DeliveryId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a delivery could not be requeued.
#[derive(Debug, thiserror::Error)]
pub enum RequeueError {
    /// No such delivery.
    #[error("delivery {0} not found")]
    NotFound(DeliveryId),
    /// Only dead (parked) deliveries can be requeued.
    #[error("delivery {id} is {state:?}, not dead")]
    NotDead {
        /// The delivery.
        id: DeliveryId,
        /// Its state.
        state: DeliveryState,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a delivery could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No such delivery.
    #[error("delivery {0} not found")]
    NotFound(DeliveryId),
    /// Only parked or pending deliveries can be resolved.
    #[error("delivery {id} is {state:?}: only a parked or pending delivery can be resolved")]
    Closed {
        /// The delivery.
        id: DeliveryId,
        /// Its state.
        state: DeliveryState,
    },
    /// A sender holds it right now; its outcome decides.
    #[error("delivery {0} is being sent right now")]
    InFlight(DeliveryId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One delivery to put back in the queue, with the history entry that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requeue {
    /// The delivery.
    pub id: DeliveryId,
    /// The history entry appended to its order when it is requeued.
    pub event: OrderEvent,
}

/// A request to claim due deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The time that decides what is due.
    pub now: DateTime<Utc>,
    /// How long the lease runs, counted by the store's own clock (the database's), as is
    /// whether a lease has run out: instances whose clocks disagree still agree on leases.
    pub lease: Duration,
    /// Identifies this claim; outcomes must present it.
    pub token: Uuid,
    /// At most this many rows.
    pub limit: u32,
    /// Skip rows of these channels (their senders are all busy).
    pub skip_channels: Vec<ChannelId>,
    /// Claim only this channel's rows, whatever its health says (a probe of a paused
    /// channel). Without it, rows of channels whose health holds them back are not claimed.
    pub probe: Option<ChannelId>,
}

/// What a store calls once it has committed outbox rows that may be due at once (a change
/// queued for a marketplace, a delivery requeued), so that a dispatcher waiting for work looks
/// at once rather than at its next poll. It must return quickly and never block.
#[derive(Clone)]
pub struct OnQueued(std::sync::Arc<dyn Fn() + Send + Sync>);

impl OnQueued {
    /// Calls `signal` for each commit with outbox rows.
    pub fn new(signal: impl Fn() + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(signal))
    }

    /// Says that outbox rows were committed.
    pub fn signal(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for OnQueued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnQueued")
    }
}

/// When a lease of `length` taken at `from` runs out (the latest time there is, for a length
/// past it).
#[must_use]
pub fn lease_end(from: DateTime<Utc>, length: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(length)
        .ok()
        .and_then(|length| from.checked_add_signed(length))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A claimed delivery and the lease that lets its claimer record the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The delivery.
    pub delivery: Delivery,
    /// The lease.
    pub lease: Lease,
}

/// Proof that a worker holds a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The delivery.
    pub delivery: DeliveryId,
    /// The claim's token.
    pub token: Uuid,
    /// When it runs out, by the store's clock (compare it only with other store times).
    pub until: DateTime<Utc>,
}

/// The outcome of one attempt, ready to be recorded with [`DeliveryQueue::complete_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The lease the attempt was made under.
    pub lease: Lease,
    /// How it ended.
    pub result: AttemptResult,
    /// The history entry to append to the delivery's order.
    pub event: OrderEvent,
    /// An alert to queue with it (a parked delivery).
    pub alert: Option<Alert>,
}

impl Completion {
    /// The completion with its text fit to store (design section 12): the result's reference
    /// and error as [`AttemptResult::cleaned`] makes them, the history entry and the alert's
    /// message on one clean line. A store records this, so that no completion's text can fail
    /// the batch it is recorded with.
    #[must_use]
    pub fn cleaned(&self) -> Self {
        Self {
            lease: self.lease,
            result: self.result.cleaned(),
            event: self.event.cleaned(),
            alert: self.alert.as_ref().map(|alert| Alert {
                message: OrderEvent::DETAIL.clean(&alert.message).unwrap_or_default(),
                ..alert.clone()
            }),
        }
    }
}

/// What became of a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// Delivered; the row is done.
    Delivered {
        /// The marketplace's reference.
        remote_ref: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Failed for now; due again at `at`.
    Retry {
        /// When to try again.
        at: DateTime<Utc>,
        /// What went wrong.
        error: String,
    },
    /// Failed for good; parked until requeued.
    Dead {
        /// What went wrong.
        error: String,
    },
}

impl AttemptResult {
    /// The result with the marketplace's reference cleaned by [`Outcome::REFERENCE`] and the
    /// error by [`Outcome::REASON`].
    #[must_use]
    pub fn cleaned(&self) -> Self {
        match self {
            Self::Delivered { remote_ref, at } => Self::Delivered {
                remote_ref: Outcome::REFERENCE.clean_opt(remote_ref.as_deref()),
                at: *at,
            },
            Self::Retry { at, error } => Self::Retry {
                at: *at,
                error: Outcome::REASON.clean(error).unwrap_or_default(),
            },
            Self::Dead { error } => Self::Dead {
                error: Outcome::REASON.clean(error).unwrap_or_default(),
            },
        }
    }
}

/// Which deliveries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryQuery {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Only this order.
    pub order_id: Option<OrderId>,
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Only those queued at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only those queued before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Start after this delivery (keyset).
    pub after: Option<DeliveryId>,
    /// At most this many.
    pub limit: u32,
}

/// Depth and age of the queue, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxStats {
    /// Pending rows.
    pub pending: u64,
    /// Dead rows.
    pub dead: u64,
    /// When the oldest pending row was queued.
    pub oldest_pending: Option<DateTime<Utc>>,
}

impl OutboxStats {
    /// The whole queue from its channels: counts added, the oldest of the oldest.
    #[must_use]
    pub fn sum(channels: &[ChannelStats]) -> Self {
        Self {
            pending: channels.iter().map(|c| c.pending).sum(),
            dead: channels.iter().map(|c| c.dead).sum(),
            oldest_pending: channels.iter().filter_map(|c| c.oldest_pending).min(),
        }
    }
}

/// The queue of deliveries as the dispatcher sees it: claim due rows under a lease, record
/// each attempt's outcome with a history entry, give leases back.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DeliveryQueue: Send + Sync + std::fmt::Debug {
    /// Claims due deliveries: pending, `next_attempt_at <= now`, not under a live lease, every
    /// row they wait for delivered or resolved, their channel neither skipped nor held back
    /// by its health at `now` (unless the request probes it), oldest due first. Safe when
    /// several workers claim at once: no row is claimed twice while its lease lives.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError>;

    /// Records how an attempt ended (attempts + 1, error kept), releases the lease, and appends
    /// `event` to the order's history, in one transaction.
    ///
    /// # Errors
    /// MUST return [`LeaseError::Lost`], and write nothing, when the lease is no longer held
    /// with this token.
    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError>;

    /// Records several attempts' outcomes, each as [`DeliveryQueue::complete`] would, in as few
    /// transactions as the store allows: a dispatcher with many deliveries in flight pays for
    /// one durable commit per batch instead of one per delivery. Returns, in the order given,
    /// `true` for each completion recorded and `false` for each whose lease was no longer held
    /// (nothing written for that one; the others are still recorded). The alerts of the
    /// completions recorded are queued in the same transaction.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails; completions not recorded stay leased until their
    /// lease runs out, and their rows are then tried again.
    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError>;

    /// Extends `lease`, if it is still held with its token, to `length` past the store's
    /// clock now (a send that takes long keeps its row). Returns the new end, or `None` when
    /// the lease is no longer held (recorded, released, or claimed by another worker after it
    /// ran out); a lease that ran out but was not claimed again is still held.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Gives back every lease held with one of `tokens` without counting an attempt
    /// (shutdown). Returns how many were released.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError>;
}

/// Deliveries as operators see them: one, a list, requeueing or resolving parked ones, the
/// queue's depth.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DeliveryLog: Send + Sync + std::fmt::Debug {
    /// Loads one delivery.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError>;

    /// Lists deliveries, newest first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError>;

    /// Puts a dead delivery back in the queue, due at `now`, and appends `event`.
    ///
    /// # Errors
    /// MUST return [`RequeueError::NotFound`] or [`RequeueError::NotDead`] and write nothing
    /// in those cases.
    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError>;

    /// Puts each listed delivery that is parked, or pending and not held by a sender, in the
    /// queue due at `now`, appending its history entry, in one transaction. Returns the ids
    /// requeued (others changed state meanwhile and are left alone).
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures; nothing is written then.
    async fn requeue_many(
        &self,
        requeues: &[Requeue],
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryId>, StoreError>;

    /// Marks a parked delivery, or a pending one no sender holds (no live lease, by the store's
    /// clock), as resolved (done by hand on the marketplace): it is never sent again, and what
    /// waits for it goes. Appends `event`.
    ///
    /// # Errors
    /// MUST return [`ResolveError::NotFound`], [`ResolveError::Closed`] or
    /// [`ResolveError::InFlight`], and write nothing, in those cases.
    async fn resolve(&self, id: DeliveryId, event: &OrderEvent) -> Result<Delivery, ResolveError>;

    /// Queue depth and age over every channel: the sum of [`DeliveryLog::channel_stats`], so
    /// that the two can never disagree.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        Ok(OutboxStats::sum(&self.channel_stats().await?))
    }

    /// Queue depth and age per channel (channels with no pending or parked row are absent).
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError>;
}

/// Queue depth and age of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStats {
    /// The channel account.
    pub channel: ChannelId,
    /// Its pending rows.
    pub pending: u64,
    /// Its parked rows.
    pub dead: u64,
    /// When its oldest pending row was queued.
    pub oldest_pending: Option<DateTime<Utc>>,
}

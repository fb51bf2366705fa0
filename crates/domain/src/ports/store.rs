//! The `OrderStore` port: durable orders, their history and the outbox, with optimistic
//! concurrency.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::order::{Order, OrderEvent, OrderStatus, Version};
use crate::outbox::{Delivery, DeliveryState, NewDelivery};
use crate::values::{ChannelId, DeliveryId, ExternalOrderId, OrderId};

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

/// Why an order could not be inserted.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// An order with the same channel and external id is already stored; nothing was written.
    #[error("order already exists as {existing}")]
    AlreadyExists {
        /// The stored order's id.
        existing: OrderId,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a changed order could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The stored version is not the one the order was loaded at: someone else saved first.
    /// Nothing was written.
    #[error("order {0} was changed concurrently")]
    Conflict(OrderId),
    /// No such order is stored.
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

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

/// Where a keyset page of orders ends: the next page starts after this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    /// The last order's `updated_at`.
    pub updated_at: DateTime<Utc>,
    /// The last order's id.
    pub id: OrderId,
}

/// Which orders to list. Orders come oldest change first: by `updated_at`, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only these statuses (empty: all).
    pub statuses: Vec<OrderStatus>,
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Only orders changed strictly after this time.
    pub updated_after: Option<DateTime<Utc>>,
    /// Start after this position.
    pub after: Option<OrderCursor>,
    /// At most this many (the store may cap it).
    pub limit: u32,
}

/// A page of orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    /// The orders.
    pub orders: Vec<Order>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<OrderCursor>,
}

/// A request to claim due deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The time that decides what is due.
    pub now: DateTime<Utc>,
    /// The lease runs out at this time; after that another worker may claim the row.
    pub lease_until: DateTime<Utc>,
    /// Identifies this claim; outcomes must present it.
    pub token: Uuid,
    /// At most this many rows.
    pub limit: u32,
    /// Skip rows of these channels (paused after an authentication failure).
    pub skip_channels: Vec<ChannelId>,
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
    /// When it runs out.
    pub until: DateTime<Utc>,
}

/// The outcome of one attempt, ready to be recorded with [`OrderStore::complete_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The lease the attempt was made under.
    pub lease: Lease,
    /// How it ended.
    pub result: AttemptResult,
    /// The history entry to append to the delivery's order.
    pub event: OrderEvent,
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

/// Which deliveries to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryQuery {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Only this order.
    pub order_id: Option<OrderId>,
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

/// Durable storage of orders and their outbox.
///
/// Every write that changes an order commits together with the outbox rows and history
/// entries it produced, or not at all.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait OrderStore: Send + Sync + std::fmt::Debug {
    /// Stores a new order (at version 1) with its history and outbox rows.
    ///
    /// # Errors
    /// MUST return [`InsertError::AlreadyExists`] with the stored order's id, and write
    /// nothing, when an order with the same channel and external id exists.
    async fn insert(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, InsertError>;

    /// Loads an order with everything that happened to it.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures; a missing order is `Ok(None)`.
    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError>;

    /// Loads several orders at once, each with everything that happened to it, in no
    /// particular order; ids with no stored order are left out. The default loads them one
    /// by one with [`OrderStore::get`].
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, StoreError> {
        let mut orders = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(order) = self.get(*id).await? {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    /// Loads an order by its marketplace id.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError>;

    /// Lists orders by keyset pagination: a page neither skips nor repeats orders while
    /// others are inserted.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError>;

    /// Saves a changed order: its line tallies, `updated_at`, the children and history entries
    /// added since it was loaded, and the outbox rows, expecting the stored version to still
    /// be `order.version()`. Returns the new version.
    ///
    /// # Errors
    /// MUST return [`SaveError::Conflict`], and write nothing, when the stored version differs;
    /// [`SaveError::NotFound`] when there is no such order.
    async fn save(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, SaveError>;

    /// Claims due deliveries: pending, `next_attempt_at <= now`, not under a live lease, and
    /// the oldest undelivered (pending or dead) row of their order, so that one order's
    /// deliveries go out in the order they were queued and a parked row holds back the rows
    /// behind it. Safe when several workers claim at once: no row is claimed twice while its
    /// lease lives.
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

    /// Records several attempts' outcomes, each as [`OrderStore::complete`] would, in as few
    /// transactions as the store allows: a dispatcher with many deliveries in flight pays for
    /// one durable commit per batch instead of one per delivery. Returns, in the order given,
    /// `true` for each completion recorded and `false` for each whose lease was no longer held
    /// (nothing written for that one; the others are still recorded).
    ///
    /// The default records them one by one with [`OrderStore::complete`].
    ///
    /// # Errors
    /// [`StoreError`] when the store fails; completions not recorded stay leased until their
    /// lease runs out, and their rows are then tried again.
    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        let mut recorded = Vec::with_capacity(completions.len());
        for completion in completions {
            match self
                .complete(&completion.lease, &completion.result, &completion.event)
                .await
            {
                Ok(()) => recorded.push(true),
                Err(LeaseError::Lost(_)) => recorded.push(false),
                Err(LeaseError::Store(error)) => return Err(error),
            }
        }
        Ok(recorded)
    }

    /// Gives back every lease held with `token` without counting an attempt (shutdown).
    /// Returns how many were released.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn release(&self, token: Uuid) -> Result<u64, StoreError>;

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

    /// Queue depth and age.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError>;

    /// The saved poll cursor of a pull channel account.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError>;

    /// Saves a pull channel account's poll cursor.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError>;

    /// Takes or renews the lease on polling a pull channel account, so that one instance
    /// polls it at a time: true when `owner` holds it until `until` afterwards. A lease held by
    /// another owner that has not run out at `now` is refused (false); an expired one is taken
    /// over.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn lease_poller(
        &self,
        channel: &ChannelId,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Checks that the store answers (readiness).
    ///
    /// # Errors
    /// [`StoreError`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;
}

//! The retention port: what personal data is due for erasure under `retention.days`, and its
//! erasure (the rule is [`crate::retention`]'s).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{OrderCursor, StoreError};
use crate::retention::{DueInbound, DueOrder, Erasure};
use crate::values::{InboundId, OrderId};

/// A page of orders due for erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePage {
    /// The due orders among those the page looked at (possibly none).
    pub orders: Vec<DueOrder>,
    /// Where the next page starts; `None` when no order is left to look at.
    pub next: Option<OrderCursor>,
}

/// Erasing personal data that is kept longer than `retention.days`.
///
/// Erasing is idempotent and safe while other instances erase the same data: each erasure
/// checks again, in its own transaction, that what it erases is still due.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Retention: Send + Sync + std::fmt::Debug {
    /// The orders due for erasure at `cutoff` ([`crate::retention::OrderActivity::due`]: not
    /// erased, and complete at or before `cutoff`), by keyset: the page looks at no more than
    /// `limit` complete, not erased orders changed at or before `cutoff`, by `updated_at`
    /// then id, starting after `after`, and holds those of them that are due. A page may hold
    /// none while `next` is set.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn due_orders(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<DuePage, StoreError>;

    /// Erases the personal data of each order of `erasures` that is still due at `cutoff`,
    /// each in a transaction of its own with its history entry: the email, the shipping
    /// address, the raw payload and the notes of its cancellations and refunds
    /// ([`crate::order::Order::erase_personal_data`]); `erased_at` is set to the entry's time
    /// and the version moves on (a save of the order loaded before fails as a conflict). An
    /// order no longer due (changed since, erased already, or gone) is left alone. Returns the
    /// orders erased, in the order given.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures; the orders erased before it stay erased.
    async fn erase_orders(
        &self,
        erasures: &[Erasure],
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError>;

    /// The quarantined entries whose body is due for erasure at `cutoff`
    /// ([`crate::retention::inbound_due`]), oldest first, starting after `after`, at most
    /// `limit`.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn due_inbound(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<InboundId>,
        limit: u32,
    ) -> Result<Vec<DueInbound>, StoreError>;

    /// Erases the bodies of the entries of `ids` that are still due at `cutoff` (the body
    /// becomes empty; the channel, external id, error and times stay) and sets their
    /// `erased_at` to `at`. Returns the entries erased, in the order given.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn erase_inbound(
        &self,
        ids: &[InboundId],
        cutoff: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboundId>, StoreError>;
}

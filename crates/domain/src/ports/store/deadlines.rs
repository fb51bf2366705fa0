//! The ship-by port: orders past the marketplace's deadline with units still open (design
//! section 11), listed oldest deadline first, counted per channel, and alerted once each.
//!
//! An order is overdue at `now` when its `deliver_by` is strictly before `now` and its status
//! is open or partially fulfilled ([`crate::order::Order::is_overdue`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::alert::Alert;
use crate::order::{Order, OrderStatus};
use crate::values::{ChannelId, ExternalOrderId, OrderId};

/// Where a page of overdue orders ends: the next page starts after this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineCursor {
    /// The last order's deadline.
    pub deliver_by: DateTime<Utc>,
    /// The last order's id.
    pub id: OrderId,
}

/// Which overdue orders to list. They come oldest deadline first: by `deliver_by`, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueQuery {
    /// Overdue at this time.
    pub now: DateTime<Utc>,
    /// Only these statuses (empty: both that can be overdue); statuses that cannot be
    /// overdue select nothing.
    pub statuses: Vec<OrderStatus>,
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Start after this position.
    pub after: Option<DeadlineCursor>,
    /// At most this many (the store may cap it).
    pub limit: u32,
}

/// A page of overdue orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverduePage {
    /// The orders, oldest deadline first.
    pub orders: Vec<Order>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<DeadlineCursor>,
}

/// How many orders of one channel are overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueCount {
    /// The channel account.
    pub channel: ChannelId,
    /// Its overdue orders.
    pub orders: u64,
}

/// An overdue order not alerted yet: what its alert names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueOrder {
    /// The order.
    pub id: OrderId,
    /// Its channel account.
    pub channel: ChannelId,
    /// The marketplace's order id.
    pub external_id: ExternalOrderId,
    /// The deadline it missed.
    pub deliver_by: DateTime<Utc>,
}

/// Overdue orders as stored, and which of them were alerted.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Deadlines: Send + Sync + std::fmt::Debug {
    /// Lists overdue orders by keyset pagination, oldest deadline first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn overdue(&self, query: &OverdueQuery) -> Result<OverduePage, StoreError>;

    /// How many orders are overdue at `now`, per channel (channels with none are absent).
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn overdue_counts(&self, now: DateTime<Utc>) -> Result<Vec<OverdueCount>, StoreError>;

    /// Up to `limit` orders overdue at `now` that no alert was queued for yet, oldest deadline
    /// first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn overdue_unalerted(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OverdueOrder>, StoreError>;

    /// For each alert, marks its order (`alert.order_id`) as alerted and queues the alert, in
    /// one transaction, but only when the order is overdue at `now` and not marked yet (a
    /// compare-and-set: of two instances raising the same order's alert, one wins). Returns
    /// the orders marked, in the order given; alerts without an order are ignored.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures; nothing is written then.
    async fn alert_overdue(
        &self,
        alerts: &[Alert],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError>;
}

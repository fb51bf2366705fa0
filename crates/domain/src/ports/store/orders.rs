//! The orders port: storing, loading, listing and saving orders with optimistic concurrency.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::alert::Alert;
use crate::order::{Order, OrderStatus, Version};
use crate::outbox::NewDelivery;
use crate::values::{ChannelId, ExternalOrderId, OrderId};

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

/// A new order with its outbox rows, one entry of [`OrderStore::insert_many`].
#[derive(Debug, Clone)]
pub struct NewOrderRows {
    /// The order, at version 0.
    pub order: Order,
    /// What it queues.
    pub outbox: Vec<NewDelivery>,
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
    /// Only orders the marketplace holds (`Some(true)`) or does not hold (`Some(false)`).
    pub on_hold: Option<bool>,
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

/// Durable storage of orders with their history.
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

    /// Stores several new orders, answering each as [`OrderStore::insert`] would: one whose
    /// channel and external id are stored already (by an earlier entry of `batch` too) is
    /// [`InsertError::AlreadyExists`] with nothing of it written, and one order's failure
    /// fails no other. A store may commit them together (group commit); every `Ok` holds only
    /// once its order is committed. The default inserts them one by one.
    async fn insert_many(&self, batch: &[NewOrderRows]) -> Vec<Result<Version, InsertError>> {
        let mut outcomes = Vec::with_capacity(batch.len());
        for new in batch {
            outcomes.push(self.insert(&new.order, &new.outbox).await);
        }
        outcomes
    }

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

    /// Saves a changed order: its line tallies, `updated_at`, marketplace state, the children
    /// and history entries added since it was loaded, the outbox rows and the alerts the change
    /// raised, expecting the stored version to still be `order.version()`. Returns the new
    /// version.
    ///
    /// # Errors
    /// MUST return [`SaveError::Conflict`], and write nothing, when the stored version differs;
    /// [`SaveError::NotFound`] when there is no such order.
    async fn save(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
        alerts: &[Alert],
    ) -> Result<Version, SaveError>;
}

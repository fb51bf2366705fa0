//! The orders port, once for every store: each store says how it begins and commits a
//! transaction ([`Transactions`]) and which statements run in one ([`OrderReads`],
//! [`OrderWrites`]); the procedures here run them in the same order everywhere, and
//! [`impl_order_store!`](crate::impl_order_store) implements `OrderStore` with them.

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    DeadlineCursor, InsertError, NewOrderRows, OrderPage, OrderQuery, OverduePage, OverdueQuery,
    SaveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
use uuid::Uuid;

use crate::keyset;
use crate::read::{self, OrderReads};
use crate::write::{self, OrderWrites};

/// How a store begins and ends the transactions the shared procedures run in.
#[async_trait]
pub trait Transactions: Send + Sync {
    /// One open transaction, with the store's statements.
    type Tx: OrderReads + OrderWrites + Send;

    /// A transaction for reading: every query in it sees one snapshot.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot begin.
    async fn read(&self) -> Result<Self::Tx, StoreError>;

    /// A transaction for writing.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot begin.
    async fn write(&self) -> Result<Self::Tx, StoreError>;

    /// Commits `tx`. A transaction dropped without it is rolled back.
    ///
    /// # Errors
    /// [`StoreError`] when the commit fails; nothing of it is then stored.
    async fn commit(tx: Self::Tx) -> Result<(), StoreError>;

    /// Says that a committed transaction queued outbox rows (see `OnQueued`); nothing by
    /// default.
    fn queued(&self) {}
}

/// `OrderStore::insert`: the order, its children, history and outbox rows in one transaction.
///
/// # Errors
/// As `OrderStore::insert`.
pub async fn insert<S: Transactions>(
    store: &S,
    order: &Order,
    outbox: &[NewDelivery],
) -> Result<Version, InsertError> {
    let mut tx = store.write().await?;
    let version = write::insert(&mut tx, order, outbox).await?;
    S::commit(tx).await?;
    if !outbox.is_empty() {
        store.queued();
    }
    Ok(version)
}

/// `OrderStore::insert_many`: every order of `batch` in one transaction (group commit), each
/// answered as `insert` would answer it (an order already stored, by an earlier entry too, is
/// `AlreadyExists` and nothing of it written). When that transaction fails (a statement of one
/// order, or the commit), each order is inserted again in a transaction of its own, so that
/// one bad order fails alone; an order the failed commit did store is then `AlreadyExists`.
pub async fn insert_many<S: Transactions>(
    store: &S,
    batch: &[NewOrderRows],
) -> Vec<Result<Version, InsertError>> {
    if batch.len() > 1
        && let Ok(outcomes) = insert_together(store, batch).await
    {
        if batch
            .iter()
            .zip(&outcomes)
            .any(|(new, outcome)| outcome.is_ok() && !new.outbox.is_empty())
        {
            store.queued();
        }
        return outcomes;
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for new in batch {
        outcomes.push(insert(store, &new.order, &new.outbox).await);
    }
    outcomes
}

/// The orders of `batch` in one transaction; a statement's failure rolls all of them back.
async fn insert_together<S: Transactions>(
    store: &S,
    batch: &[NewOrderRows],
) -> Result<Vec<Result<Version, InsertError>>, StoreError> {
    let mut tx = store.write().await?;
    let outcomes = write::insert_batch(&mut tx, batch).await?;
    S::commit(tx).await?;
    Ok(outcomes)
}

/// `OrderStore::save`: the versioned save in one transaction.
///
/// # Errors
/// As `OrderStore::save`.
pub async fn save<S: Transactions>(
    store: &S,
    order: &Order,
    outbox: &[NewDelivery],
    alerts: &[Alert],
) -> Result<Version, SaveError> {
    let mut tx = store.write().await?;
    let version = write::save(&mut tx, order, outbox, alerts).await?;
    S::commit(tx).await?;
    if !outbox.is_empty() {
        store.queued();
    }
    Ok(version)
}

/// `OrderStore::get_many`: the orders found, loaded in one snapshot, in the order given.
///
/// # Errors
/// [`StoreError`].
pub async fn get_many<S: Transactions>(
    store: &S,
    ids: &[OrderId],
) -> Result<Vec<Order>, StoreError> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let mut tx = store.read().await?;
    let orders = read::load_orders(&mut tx, &ids).await?;
    S::commit(tx).await?;
    Ok(orders)
}

/// `OrderStore::find_by_external`: the order with this marketplace id, if any.
///
/// # Errors
/// [`StoreError`].
pub async fn find_by_external<S: Transactions>(
    store: &S,
    channel: &ChannelId,
    external_id: &ExternalOrderId,
) -> Result<Option<Order>, StoreError> {
    let mut tx = store.read().await?;
    let order = match tx
        .id_by_external(channel.as_str(), external_id.as_str())
        .await?
    {
        Some(id) => read::load_orders(&mut tx, &[id]).await?.pop(),
        None => None,
    };
    S::commit(tx).await?;
    Ok(order)
}

/// `OrderStore::list`: a keyset page of orders and where the next one starts.
///
/// # Errors
/// [`StoreError`].
pub async fn list<S: Transactions>(store: &S, query: &OrderQuery) -> Result<OrderPage, StoreError> {
    let size = keyset::page_size(query.limit);
    let mut tx = store.read().await?;
    let keys = tx.page_keys(query, size + 1).await?;
    let (ids, next) = keyset::page(keys, size);
    let orders = read::load_orders(&mut tx, &ids).await?;
    S::commit(tx).await?;
    Ok(OrderPage { orders, next })
}

/// `Deadlines::overdue`: a keyset page of overdue orders, oldest deadline first, and where the
/// next one starts.
///
/// # Errors
/// [`StoreError`].
pub async fn overdue<S: Transactions>(
    store: &S,
    query: &OverdueQuery,
) -> Result<OverduePage, StoreError> {
    let size = keyset::page_size(query.limit);
    let mut tx = store.read().await?;
    let keys = tx.overdue_keys(query, size + 1).await?;
    let (ids, next) = keyset::page_by(keys, size, |id, deliver_by| DeadlineCursor {
        deliver_by,
        id,
    });
    let orders = read::load_orders(&mut tx, &ids).await?;
    S::commit(tx).await?;
    Ok(OverduePage { orders, next })
}

/// Implements `OrderStore` for a store type that implements [`Transactions`], with the
/// procedures of this module.
#[macro_export]
macro_rules! impl_order_store {
    ($store:ty) => {
        #[$crate::__private::async_trait]
        impl $crate::__private::OrderStore for $store {
            async fn insert(
                &self,
                order: &$crate::__private::Order,
                outbox: &[$crate::__private::NewDelivery],
            ) -> Result<$crate::__private::Version, $crate::__private::InsertError> {
                $crate::store::insert(self, order, outbox).await
            }

            async fn insert_many(
                &self,
                batch: &[$crate::__private::NewOrderRows],
            ) -> Vec<Result<$crate::__private::Version, $crate::__private::InsertError>> {
                $crate::store::insert_many(self, batch).await
            }

            async fn get(
                &self,
                id: $crate::__private::OrderId,
            ) -> Result<Option<$crate::__private::Order>, $crate::__private::StoreError> {
                Ok($crate::store::get_many(self, &[id]).await?.pop())
            }

            async fn get_many(
                &self,
                ids: &[$crate::__private::OrderId],
            ) -> Result<Vec<$crate::__private::Order>, $crate::__private::StoreError> {
                $crate::store::get_many(self, ids).await
            }

            async fn find_by_external(
                &self,
                channel: &$crate::__private::ChannelId,
                external_id: &$crate::__private::ExternalOrderId,
            ) -> Result<Option<$crate::__private::Order>, $crate::__private::StoreError> {
                $crate::store::find_by_external(self, channel, external_id).await
            }

            async fn list(
                &self,
                query: &$crate::__private::OrderQuery,
            ) -> Result<$crate::__private::OrderPage, $crate::__private::StoreError> {
                $crate::store::list(self, query).await
            }

            async fn save(
                &self,
                order: &$crate::__private::Order,
                outbox: &[$crate::__private::NewDelivery],
                alerts: &[$crate::__private::Alert],
            ) -> Result<$crate::__private::Version, $crate::__private::SaveError> {
                $crate::store::save(self, order, outbox, alerts).await
            }
        }
    };
}

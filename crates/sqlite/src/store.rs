//! How the store begins its transactions, and the orders port on them through the shared
//! procedures of `orderbridge-rows`. Writes go through the one writer connection, in `BEGIN IMMEDIATE` transactions when
//! they take more than one statement; reads of whole orders run in a deferred (read-only)
//! transaction for one consistent snapshot.

use async_trait::async_trait;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::store::Transactions;
use sqlx::Transaction;

use crate::{Sqlite, db};

impl Sqlite {
    /// A write transaction on the writer connection: it takes SQLite's write lock at once, so it
    /// never fails later upgrading a read lock.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("begin write transaction"))
    }

    /// A read transaction: every query in it sees the same snapshot (WAL), without blocking
    /// writers.
    async fn begin_read(&self) -> Result<Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(db("begin read transaction"))
    }

    /// The writer connection, for single-statement writes.
    pub(crate) async fn writer(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
        self.writer
            .acquire()
            .await
            .map_err(db("acquire writer connection"))
    }
}

pub(crate) async fn commit(tx: Transaction<'static, sqlx::Sqlite>) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

/// One open transaction, with the order statements of [`crate::read`] and [`crate::write`].
#[derive(Debug)]
pub struct Tx(pub(crate) Transaction<'static, sqlx::Sqlite>);

#[async_trait]
impl Transactions for Sqlite {
    type Tx = Tx;

    async fn read(&self) -> Result<Tx, StoreError> {
        self.begin_read().await.map(Tx)
    }

    async fn write(&self) -> Result<Tx, StoreError> {
        self.begin_write().await.map(Tx)
    }

    async fn commit(tx: Tx) -> Result<(), StoreError> {
        commit(tx.0).await
    }

    fn queued(&self) {
        self.signal_queued();
    }
}

orderbridge_rows::impl_order_store!(Sqlite);

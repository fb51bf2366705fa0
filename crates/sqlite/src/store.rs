//! The storage ports' implementation: transactions around the reads and writes of the sibling
//! modules. Writes go through the one writer connection, in `BEGIN IMMEDIATE` transactions when
//! they take more than one statement; reads of whole orders run in a deferred (read-only)
//! transaction for one consistent snapshot.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    InsertError, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
use orderbridge_rows::Columns;
use orderbridge_rows::{keyset, write};
use sqlx::Transaction;
use uuid::Uuid;

use crate::codec::time;
use crate::read::load_orders;
use crate::row::Row;
use crate::write::Writes;
use crate::{Sqlite, db};

type Tx = Transaction<'static, sqlx::Sqlite>;

impl Sqlite {
    /// A write transaction on the writer connection: it takes SQLite's write lock at once, so it
    /// never fails later upgrading a read lock.
    pub(crate) async fn write(&self) -> Result<Tx, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("begin write transaction"))
    }

    /// A read transaction: every query in it sees the same snapshot (WAL), without blocking
    /// writers.
    async fn read(&self) -> Result<Tx, StoreError> {
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

pub(crate) async fn commit(tx: Tx) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

#[async_trait]
impl OrderStore for Sqlite {
    async fn insert(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, InsertError> {
        let mut tx = self.write().await?;
        let version = write::insert(&mut Writes(&mut tx), order, rows).await?;
        commit(tx).await?;
        Ok(version)
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        let mut tx = self.read().await?;
        let order = load_orders(&mut tx, &[id.as_uuid()]).await?.pop();
        commit(tx).await?;
        Ok(order)
    }

    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, StoreError> {
        let mut tx = self.read().await?;
        let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        let orders = load_orders(&mut tx, &ids).await?;
        commit(tx).await?;
        Ok(orders)
    }

    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        let mut tx = self.read().await?;
        let id: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM orders WHERE channel = $1 AND external_id = $2")
                .bind(channel.as_str())
                .bind(external_id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("find order"))?;
        let order = match id {
            Some(id) => load_orders(&mut tx, &[id]).await?.pop(),
            None => None,
        };
        commit(tx).await?;
        Ok(order)
    }

    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let limit = keyset::page_size(query.limit);
        let mut sql =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT id, updated_at FROM orders WHERE true");
        if !query.statuses.is_empty() {
            sql.push(" AND status IN (");
            let mut list = sql.separated(", ");
            for status in &query.statuses {
                list.push_bind(status.as_str());
            }
            sql.push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(after) = query.updated_after {
            sql.push(" AND updated_at > ").push_bind(time(after));
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (updated_at, id) > (")
                .push_bind(time(cursor.updated_at))
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY updated_at, id LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut tx = self.read().await?;
        let rows = sql
            .build()
            .fetch_all(&mut *tx)
            .await
            .map_err(db("list orders"))?;
        let keys: Vec<(Uuid, DateTime<Utc>)> = rows
            .into_iter()
            .map(|r| {
                let r = Row(r);
                Ok((r.uuid("id")?, r.time("updated_at")?))
            })
            .collect::<Result<_, StoreError>>()?;
        let (ids, next) = keyset::page(keys, limit);
        let orders = load_orders(&mut tx, &ids).await?;
        commit(tx).await?;
        Ok(OrderPage { orders, next })
    }

    async fn save(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, SaveError> {
        let mut tx = self.write().await?;
        let version = write::save(&mut Writes(&mut tx), order, rows).await?;
        commit(tx).await?;
        Ok(version)
    }
}

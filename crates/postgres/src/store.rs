//! How the store opens its transactions, and the orders port on them: inserts and saves through
//! the shared procedures of `orderbridge-rows`, loads in one read-only snapshot, keyset lists.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    InsertError, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
use orderbridge_rows::{keyset, write};
use sqlx::Row;
use uuid::Uuid;

use crate::read::load_orders;
use crate::write::Writes;
use crate::{Postgres, db};

impl Postgres {
    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db("begin transaction"))
    }

    /// A transaction in which the planner may not sort, bitmap-scan, hash-join or merge-join:
    /// see [`PLAN_ROBUST`].
    pub(crate) async fn begin_plan_robust(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin_with(PLAN_ROBUST)
            .await
            .map_err(db("begin transaction"))
    }

    /// A read-only transaction for loading orders: one snapshot for the several queries an
    /// order takes (its row, lines, shipments, cancellations, refunds, history), and, as in
    /// [`PLAN_ROBUST`], no plan that reads a whole table. Loading by key must probe indexes;
    /// without statistics the planner took a sequential scan of `fulfillments` for a single
    /// order, whose cost grew with every shipment stored (the benchmark's fulfillment phase
    /// slowed to half the storage limit's rate within its first round).
    async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin_with(SNAPSHOT)
            .await
            .map_err(db("begin transaction"))
    }
}

/// How the dispatcher's statements begin their transaction. The claim must walk the due
/// index in order and stop at its limit; recording outcomes must probe the outbox's id index
/// once per outcome. Without statistics (a new or freshly emptied outbox, before
/// autovacuum's first ANALYZE) the planner guesses one row and picks a bitmap scan, an
/// anti-join of every due row and a sort for the claim (28 ms rather than 2 ms with 3,600
/// rows due, and growing with the backlog), or hash joins over the whole outbox. Forbidding
/// those plans for these transactions keeps their cost independent of the statistics
/// (found by the benchmark's delivery phase; see BENCHMARKS.md). A plan that must still sort
/// (the history entries, in the order given) is then costed far above `jit_above_cost`; JIT
/// is off on every connection (see [`crate::Postgres::connect`]).
pub(crate) const PLAN_ROBUST: &str = "BEGIN; SET LOCAL enable_sort = off; \
     SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; \
     SET LOCAL enable_mergejoin = off";

/// How [`Postgres::snapshot`] begins its transaction.
pub(crate) const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
     SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; \
     SET LOCAL enable_mergejoin = off";

pub(crate) async fn commit(
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

#[async_trait]
impl OrderStore for Postgres {
    async fn insert(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, InsertError> {
        let mut tx = self.begin().await?;
        let version = write::insert(&mut Writes(&mut tx), order, rows).await?;
        commit(tx).await?;
        Ok(version)
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        let mut tx = self.snapshot().await?;
        let order = load_orders(&mut tx, &[id.as_uuid()]).await?.pop();
        commit(tx).await?;
        Ok(order)
    }

    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, StoreError> {
        let mut tx = self.snapshot().await?;
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
        let mut tx = self.snapshot().await?;
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
        let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "SELECT id, updated_at FROM orders WHERE true",
        );
        if !query.statuses.is_empty() {
            let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
            sql.push(" AND status = ANY(").push_bind(statuses).push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(after) = query.updated_after {
            sql.push(" AND updated_at > ").push_bind(after);
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (updated_at, id) > (")
                .push_bind(cursor.updated_at)
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY updated_at, id LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut tx = self.snapshot().await?;
        let rows = sql
            .build()
            .fetch_all(&mut *tx)
            .await
            .map_err(db("list orders"))?;
        let keys: Vec<(Uuid, DateTime<Utc>)> = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("updated_at")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db("read order keys"))?;
        let (ids, next) = keyset::page(keys, limit);
        let orders = load_orders(&mut tx, &ids).await?;
        commit(tx).await?;
        Ok(OrderPage { orders, next })
    }

    async fn save(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, SaveError> {
        let mut tx = self.begin().await?;
        let version = write::save(&mut Writes(&mut tx), order, rows).await?;
        commit(tx).await?;
        Ok(version)
    }
}

//! Ship-by on SQLite: overdue orders read through the partial index `orders_overdue_idx`
//! (migration 0009), whose predicate every statement here repeats literally (SQLite uses a
//! partial index only for a query holding its terms). Without statistics (the store never runs
//! `ANALYZE`) SQLite preferred `orders_status_updated_idx`, reading every open order and
//! sorting them; the reads name the partial index (`INDEXED BY`), which walks the overdue
//! orders alone in deadline order, and which fails loudly should the predicate and the index
//! ever part. An alert is marked in `overdue_alerts`
//! (its primary key the compare-and-set) and queued in the same `BEGIN IMMEDIATE`
//! transaction. Dynamic SQL here is assembled from this module's constants only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::ports::store::{
    Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery, StoreError,
};
use orderbridge_domain::values::OrderId;
use orderbridge_rows::deadlines::{OVERDUE_COLUMNS, alerts_by_order, overdue_count, overdue_order};

use crate::channels::insert_alerts;
use crate::codec::time;
use crate::row::Row;
use crate::store::commit;
use crate::{Sqlite, db};

/// The orders, read through the index of overdue orders.
pub(crate) const OVERDUE_ORDERS: &str = "orders INDEXED BY orders_overdue_idx";

/// Overdue at the time bound after it: the index's predicate, then the deadline.
pub(crate) const OVERDUE_AT: &str = "status IN ('open', 'partially_fulfilled') \
     AND deliver_by IS NOT NULL AND deliver_by < ";

#[async_trait]
impl Deadlines for Sqlite {
    async fn overdue(&self, query: &OverdueQuery) -> Result<OverduePage, StoreError> {
        orderbridge_rows::store::overdue(self, query).await
    }

    async fn overdue_counts(&self, now: DateTime<Utc>) -> Result<Vec<OverdueCount>, StoreError> {
        let sql = format!(
            "SELECT channel, count(*) AS orders FROM {OVERDUE_ORDERS} WHERE {OVERDUE_AT}$1 \
             GROUP BY channel ORDER BY channel"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(time(now))
            .fetch_all(&self.pool)
            .await
            .map_err(db("count overdue orders"))?
            .into_iter()
            .map(|row| overdue_count(&Row(row)))
            .collect()
    }

    async fn overdue_unalerted(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OverdueOrder>, StoreError> {
        let sql = format!(
            "SELECT {OVERDUE_COLUMNS} FROM {OVERDUE_ORDERS} WHERE {OVERDUE_AT}$1 \
             AND NOT EXISTS (SELECT 1 FROM overdue_alerts a WHERE a.order_id = orders.id) \
             ORDER BY deliver_by, id LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(time(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db("find overdue orders not alerted"))?
            .into_iter()
            .map(|row| overdue_order(&Row(row)))
            .collect()
    }

    /// Each order is marked by an `INSERT .. ON CONFLICT DO NOTHING` that finds it still
    /// overdue; its alert is queued when the row was written. Writers take turns
    /// (`BEGIN IMMEDIATE`), so a second check, in this process or another, finds the marks.
    async fn alert_overdue(
        &self,
        alerts: &[Alert],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        let wanted = alerts_by_order(alerts);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "INSERT INTO overdue_alerts (order_id, alert_id, alerted_at) \
             SELECT id, $2, $3 FROM orders WHERE id = $1 AND {OVERDUE_AT}$3 \
             ON CONFLICT (order_id) DO NOTHING"
        );
        let mut tx = self.begin_write().await?;
        let mut marked = Vec::new();
        for (order, alert) in wanted {
            let written = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(order.as_uuid())
                .bind(alert.id.as_uuid())
                .bind(time(now))
                .execute(&mut *tx)
                .await
                .map_err(db("mark an overdue order alerted"))?
                .rows_affected();
            if written == 1 {
                insert_alerts(&mut tx, std::slice::from_ref(alert)).await?;
                marked.push(order);
            }
        }
        commit(tx).await?;
        Ok(marked)
    }
}

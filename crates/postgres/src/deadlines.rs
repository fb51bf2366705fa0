//! Ship-by on PostgreSQL: overdue orders read through the partial index `orders_overdue_idx`
//! (migration 0009), whose predicate every statement here repeats literally so that the
//! planner may use it with bound parameters; an alert is marked in `overdue_alerts` (its primary
//! key the compare-and-set) and queued in the same transaction. Dynamic SQL here
//! (`AssertSqlSafe`) is assembled from this module's constants only.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::ports::store::{
    Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery, StoreError,
};
use orderbridge_domain::values::OrderId;
use orderbridge_rows::deadlines::{OVERDUE_COLUMNS, alerts_by_order, overdue_count, overdue_order};
use uuid::Uuid;

use crate::channels::insert_alerts;
use crate::row::Row;
use crate::store::commit;
use crate::write::column;
use crate::{Postgres, db};

/// Overdue at the time bound after it: the index's predicate, then the deadline.
pub(crate) const OVERDUE_AT: &str = "status IN ('open', 'partially_fulfilled') \
     AND deliver_by IS NOT NULL AND deliver_by < ";

#[async_trait]
impl Deadlines for Postgres {
    async fn overdue(&self, query: &OverdueQuery) -> Result<OverduePage, StoreError> {
        orderbridge_rows::store::overdue(self, query).await
    }

    async fn overdue_counts(&self, now: DateTime<Utc>) -> Result<Vec<OverdueCount>, StoreError> {
        let sql = format!(
            "SELECT channel, count(*) AS orders FROM orders WHERE {OVERDUE_AT}$1 \
             GROUP BY channel ORDER BY channel"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
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
            "SELECT {OVERDUE_COLUMNS} FROM orders o WHERE {OVERDUE_AT}$1 \
             AND NOT EXISTS (SELECT 1 FROM overdue_alerts a WHERE a.order_id = o.id) \
             ORDER BY deliver_by, id LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db("find overdue orders not alerted"))?
            .into_iter()
            .map(|row| overdue_order(&Row(row)))
            .collect()
    }

    /// One `INSERT .. ON CONFLICT DO NOTHING` marks the orders still overdue and not marked;
    /// a concurrent check inserting the same order waits for this transaction and then finds
    /// the conflict. Rows are inserted in id order, so two checks never wait for each other
    /// in a circle.
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
             SELECT o.id, a.alert_id, $3 \
             FROM UNNEST($1::uuid[], $2::uuid[]) AS a(order_id, alert_id) \
             JOIN orders o ON o.id = a.order_id \
             WHERE {OVERDUE_AT}$3 ORDER BY o.id \
             ON CONFLICT (order_id) DO NOTHING RETURNING order_id"
        );
        let mut tx = self.begin().await?;
        let marked: HashSet<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(column(&wanted, |(order, _)| order.as_uuid()))
            .bind(column(&wanted, |(_, alert)| alert.id.as_uuid()))
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .map_err(db("mark overdue orders alerted"))?
            .into_iter()
            .collect();
        let queued: Vec<(OrderId, &Alert)> = wanted
            .into_iter()
            .filter(|(order, _)| marked.contains(&order.as_uuid()))
            .collect();
        let queue: Vec<&Alert> = queued.iter().map(|(_, alert)| *alert).collect();
        insert_alerts(&mut tx, &queue).await?;
        commit(tx).await?;
        Ok(queued.into_iter().map(|(order, _)| order).collect())
    }
}

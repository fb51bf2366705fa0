//! The retention statements on SQLite (the procedures and the rule are shared:
//! `orderbridge_rows::retention`). An erasure runs in a `BEGIN IMMEDIATE` transaction, which
//! holds the one write lock, so no save of the order runs between its check and its write.
//! Dynamic SQL here is assembled from this module's constants, the domain's status names and
//! `?` placeholders only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{OrderCursor, StoreError};
use orderbridge_domain::values::InboundId;
use orderbridge_rows::retention::{
    CANDIDATE_COLUMNS, RetentionStatements, closed_states, settled_predicate,
};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::codec::time;
use crate::row::{Row, rows};
use crate::store::Tx;
use crate::{Sqlite, db};

#[async_trait]
impl RetentionStatements for Tx {
    type Row = Row;

    async fn candidates(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(format!(
            "SELECT {CANDIDATE_COLUMNS} FROM orders o WHERE o.erased_at IS NULL AND {} \
             AND o.updated_at <= ",
            settled_predicate()
        ));
        sql.push_bind(time(cutoff));
        if let Some(after) = after {
            sql.push(" AND (o.updated_at, o.id) > (")
                .push_bind(time(after.updated_at))
                .push(", ")
                .push_bind(after.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY o.updated_at, o.id LIMIT ")
            .push_bind(i64::from(limit));
        sql.build()
            .fetch_all(&mut *self.0)
            .await
            .map(rows)
            .map_err(db("list orders due for erasure"))
    }

    async fn locked(&mut self, id: Uuid) -> Result<Option<Row>, StoreError> {
        let sql = format!("SELECT {CANDIDATE_COLUMNS} FROM orders o WHERE o.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.0)
            .await
            .map(|row| row.map(Row))
            .map_err(db("load an order to erase"))
    }

    async fn deliveries(&mut self, ids: &[Uuid]) -> Result<Vec<Row>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT order_id, state, max(delivered_at) AS delivered_at FROM outbox \
             WHERE order_id IN (",
        );
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        sql.push(") GROUP BY order_id, state");
        sql.build()
            .fetch_all(&mut *self.0)
            .await
            .map(rows)
            .map_err(db("load the deliveries of orders due for erasure"))
    }

    async fn erase(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        for (what, sql) in [
            (
                "erase cancellation notes",
                "UPDATE cancellations SET note = NULL WHERE order_id = $1 AND note IS NOT NULL",
            ),
            (
                "erase refund notes",
                "UPDATE refunds SET note = NULL WHERE order_id = $1 AND note IS NOT NULL",
            ),
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *self.0)
                .await
                .map_err(db(what))?;
        }
        sqlx::query(
            "UPDATE orders SET email = NULL, shipping_address = NULL, raw_payload = NULL, \
                    erased_at = $2, version = version + 1 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(time(at))
        .execute(&mut *self.0)
        .await
        .map_err(db("erase an order's personal data"))?;
        Ok(())
    }

    async fn closed_entries(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<InboundId>,
        ids: Option<&[InboundId]>,
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT id, channel, external_id, state, closed_at, erased_at FROM inbound \
             WHERE erased_at IS NULL AND state IN (",
        );
        let mut states = sql.separated(", ");
        for state in closed_states() {
            states.push_bind(state);
        }
        sql.push(") AND closed_at <= ").push_bind(time(cutoff));
        if let Some(after) = after {
            sql.push(" AND seq > (SELECT seq FROM inbound WHERE id = ")
                .push_bind(after.as_uuid())
                .push(")");
        }
        if let Some(ids) = ids {
            sql.push(" AND id IN (");
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(id.as_uuid());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
        sql.build()
            .fetch_all(&mut *self.0)
            .await
            .map(rows)
            .map_err(db("list quarantined bodies due for erasure"))
    }

    async fn erase_bodies(&mut self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut sql =
            QueryBuilder::<sqlx::Sqlite>::new("UPDATE inbound SET body = X'', erased_at = ");
        sql.push_bind(time(at)).push(" WHERE id IN (");
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        sql.push(")");
        sql.build()
            .execute(&mut *self.0)
            .await
            .map_err(db("erase quarantined bodies"))?;
        Ok(())
    }
}

orderbridge_rows::impl_retention!(Sqlite);

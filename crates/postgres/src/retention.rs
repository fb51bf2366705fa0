//! The retention statements on PostgreSQL (the procedures and the rule are shared:
//! `orderbridge_rows::retention`). An order to erase is locked with `FOR UPDATE`, which every
//! save waits for, so that a save and an erasure of one order run one after the other. Dynamic
//! SQL here (`AssertSqlSafe`) is assembled from this module's constants and the domain's status
//! names only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{OrderCursor, StoreError};
use orderbridge_domain::values::InboundId;
use orderbridge_rows::retention::{
    CANDIDATE_COLUMNS, RetentionStatements, closed_states, settled_predicate,
};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::row::{Row, rows};
use crate::store::Tx;
use crate::{Postgres, db};

#[async_trait]
impl RetentionStatements for Tx {
    type Row = Row;

    async fn candidates(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Postgres>::new(format!(
            "SELECT {CANDIDATE_COLUMNS} FROM orders o WHERE o.erased_at IS NULL AND {} \
             AND o.updated_at <= ",
            settled_predicate()
        ));
        sql.push_bind(cutoff);
        if let Some(after) = after {
            sql.push(" AND (o.updated_at, o.id) > (")
                .push_bind(after.updated_at)
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
        let sql =
            format!("SELECT {CANDIDATE_COLUMNS} FROM orders o WHERE o.id = $1 FOR UPDATE OF o");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.0)
            .await
            .map(|row| row.map(Row))
            .map_err(db("lock an order to erase"))
    }

    async fn deliveries(&mut self, ids: &[Uuid]) -> Result<Vec<Row>, StoreError> {
        sqlx::query(
            "SELECT order_id, state, max(delivered_at) AS delivered_at FROM outbox \
             WHERE order_id = ANY($1) GROUP BY order_id, state",
        )
        .bind(ids)
        .fetch_all(&mut *self.0)
        .await
        .map(rows)
        .map_err(db("load the deliveries of orders due for erasure"))
    }

    async fn erase(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "WITH c AS (UPDATE cancellations SET note = NULL \
                        WHERE order_id = $1 AND note IS NOT NULL), \
                  r AS (UPDATE refunds SET note = NULL \
                        WHERE order_id = $1 AND note IS NOT NULL) \
             UPDATE orders SET email = NULL, shipping_address = NULL, raw_payload = NULL, \
                    erased_at = $2, version = version + 1 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(at)
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
        let mut sql = QueryBuilder::<sqlx::Postgres>::new(
            "SELECT id, channel, external_id, state, closed_at, erased_at FROM inbound \
             WHERE erased_at IS NULL AND state = ANY(",
        );
        sql.push_bind(closed_states())
            .push(") AND closed_at <= ")
            .push_bind(cutoff);
        if let Some(after) = after {
            sql.push(" AND seq > (SELECT seq FROM inbound WHERE id = ")
                .push_bind(after.as_uuid())
                .push(")");
        }
        if let Some(ids) = ids {
            let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
            sql.push(" AND id = ANY(").push_bind(ids).push(")");
        }
        sql.push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
        if ids.is_some() {
            sql.push(" FOR UPDATE");
        }
        sql.build()
            .fetch_all(&mut *self.0)
            .await
            .map(rows)
            .map_err(db("list quarantined bodies due for erasure"))
    }

    async fn erase_bodies(&mut self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE inbound SET body = ''::bytea, erased_at = $2 WHERE id = ANY($1)")
            .bind(ids)
            .bind(at)
            .execute(&mut *self.0)
            .await
            .map_err(db("erase quarantined bodies"))?;
        Ok(())
    }
}

orderbridge_rows::impl_retention!(Postgres);

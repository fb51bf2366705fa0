//! The operators' side of the outbox on SQLite: one delivery, a list, requeueing or resolving
//! parked ones, the queue's depth. Dynamic SQL here is assembled from this module's constants and
//! `?` placeholders only, never from input.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::outbox::Delivery;
use orderbridge_domain::ports::store::{
    ChannelStats, DeliveryLog, DeliveryQuery, Requeue, RequeueError, ResolveError, StoreError,
};
use orderbridge_domain::values::DeliveryId;
use orderbridge_rows::channels::channel_stats;
use orderbridge_rows::outbox::{COLUMNS, delivery, refused, unresolvable};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::codec::time;
use crate::row::Row;
use crate::store::commit;
use crate::write::insert_events;
use crate::{Sqlite, db};

/// A row an operator may requeue or resolve: parked, or pending with no live lease at `$2`,
/// the store's clock (the host's: SQLite has no server of its own), as leases are claimed.
const OPEN: &str = "(state = 'dead' OR (state = 'pending' \
     AND (lease_until IS NULL OR lease_until <= $2)))";

#[async_trait]
impl DeliveryLog for Sqlite {
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
        sql.push(COLUMNS)
            .push(" FROM outbox WHERE id = ")
            .push_bind(id.as_uuid());
        sql.build()
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load delivery"))?
            .map(|row| delivery(&Row(row)))
            .transpose()
    }

    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
        sql.push(COLUMNS).push(" FROM outbox WHERE true");
        if let Some(state) = query.state {
            sql.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(order) = query.order_id {
            sql.push(" AND order_id = ").push_bind(order.as_uuid());
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(from) = query.created_from {
            sql.push(" AND created_at >= ").push_bind(time(from));
        }
        if let Some(before) = query.created_before {
            sql.push(" AND created_at < ").push_bind(time(before));
        }
        if let Some(after) = query.after {
            sql.push(" AND seq < (SELECT seq FROM outbox WHERE id = ")
                .push_bind(after.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, 1_000)));
        let rows = sql
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db("list deliveries"))?;
        rows.into_iter().map(|row| delivery(&Row(row))).collect()
    }

    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE outbox SET state = 'pending', lease_token = NULL, lease_until = NULL, \
             next_attempt_at = ",
        );
        sql.push_bind(time(now))
            .push(" WHERE id = ")
            .push_bind(id.as_uuid())
            .push(" AND state = 'dead' RETURNING ")
            .push(COLUMNS);
        let mut tx = self.begin_write().await?;
        let row = sql
            .build()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("requeue delivery"))?;
        let Some(row) = row else {
            drop(tx);
            return Err(refused(id, self.delivery(id).await?.map(|d| d.state)));
        };
        let delivery = delivery(&Row(row))?;
        let order_id = delivery.order_id.as_uuid();
        insert_events(&mut tx, order_id, std::slice::from_ref(event)).await?;
        commit(tx).await?;
        self.signal_queued();
        Ok(delivery)
    }

    async fn requeue_many(
        &self,
        requeues: &[Requeue],
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if requeues.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE outbox SET state = 'pending', next_attempt_at = $3, lease_token = NULL, \
             lease_until = NULL WHERE id = $1 AND {OPEN} RETURNING order_id"
        );
        let mut tx = self.begin_write().await?;
        let mut done = Vec::new();
        for requeue in requeues {
            let order_id: Option<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(requeue.id.as_uuid())
                .bind(time(Utc::now()))
                .bind(time(now))
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("requeue deliveries"))?;
            if let Some(order_id) = order_id {
                insert_events(&mut tx, order_id, std::slice::from_ref(&requeue.event)).await?;
                done.push(requeue.id);
            }
        }
        commit(tx).await?;
        if !done.is_empty() {
            self.signal_queued();
        }
        Ok(done)
    }

    async fn resolve(&self, id: DeliveryId, event: &OrderEvent) -> Result<Delivery, ResolveError> {
        let sql = format!(
            "UPDATE outbox SET state = 'resolved', lease_token = NULL, lease_until = NULL \
             WHERE id = $1 AND {OPEN} RETURNING {COLUMNS}"
        );
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(time(Utc::now()))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("resolve delivery"))?;
        let Some(row) = row else {
            drop(tx);
            return Err(unresolvable(id, self.delivery(id).await?.map(|d| d.state)));
        };
        let delivery = delivery(&Row(row))?;
        let order_id = delivery.order_id.as_uuid();
        insert_events(&mut tx, order_id, std::slice::from_ref(event)).await?;
        commit(tx).await?;
        Ok(delivery)
    }

    async fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        sqlx::query(
            "SELECT channel, count(*) FILTER (WHERE state = 'pending') AS pending, \
                    count(*) FILTER (WHERE state = 'dead') AS dead, \
                    min(created_at) FILTER (WHERE state = 'pending') AS oldest \
             FROM outbox WHERE state IN ('pending', 'dead') GROUP BY channel ORDER BY channel",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("outbox stats per channel"))?
        .into_iter()
        .map(|row| channel_stats(&Row(row)))
        .collect()
    }
}

//! The operators' side of the outbox on PostgreSQL: one delivery, a list, requeueing or
//! resolving parked ones, the queue's depth.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.

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
use uuid::Uuid;

use crate::row::Row;
use crate::store::commit;
use crate::write::{column, insert_events};
use crate::{Postgres, db};

/// A row an operator may requeue or resolve: parked, or pending with no live lease (by the
/// database's clock, as leases are claimed).
const OPEN: &str = "(state = 'dead' OR (state = 'pending' \
     AND (lease_until IS NULL OR lease_until <= clock_timestamp())))";

/// Requeues the listed rows still open, due at `$7`, and appends each one's history
/// entry; returns the ids requeued.
const REQUEUE_MANY: &str = "WITH input AS ( \
       SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], \
         $5::uuid[], $6::text[]) WITH ORDINALITY \
         AS i(id, event_id, event_at, event_kind, event_subject, event_detail, n)), \
     done AS ( \
       UPDATE outbox o SET state = 'pending', next_attempt_at = $7, lease_token = NULL, \
         lease_until = NULL \
       FROM input i WHERE o.id = i.id AND (o.state = 'dead' OR (o.state = 'pending' \
         AND (o.lease_until IS NULL OR o.lease_until <= clock_timestamp()))) \
       RETURNING o.id, o.order_id), \
     history AS ( \
       INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
       SELECT i.event_id, d.order_id, i.event_at, i.event_kind, i.event_subject, \
              i.event_detail \
       FROM input i JOIN done d ON d.id = i.id ORDER BY i.n) \
     SELECT id FROM done";

#[async_trait]
impl DeliveryLog for Postgres {
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load delivery"))?
            .map(|row| delivery(&Row(row)))
            .transpose()
    }

    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
            "SELECT {COLUMNS} FROM outbox WHERE true"
        ));
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
            sql.push(" AND created_at >= ").push_bind(from);
        }
        if let Some(before) = query.created_before {
            sql.push(" AND created_at < ").push_bind(before);
        }
        if let Some(after) = query.after {
            sql.push(" AND seq < (SELECT seq FROM outbox WHERE id = ")
                .push_bind(after.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, 1_000)));
        sql.build()
            .fetch_all(&self.pool)
            .await
            .map_err(db("list deliveries"))?
            .into_iter()
            .map(|row| delivery(&Row(row)))
            .collect()
    }

    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError> {
        let sql = format!(
            "UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_token = NULL, \
             lease_until = NULL WHERE id = $1 AND state = 'dead' RETURNING {COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("requeue delivery"))?
        else {
            drop(tx);
            return Err(refused(id, self.delivery(id).await?.map(|d| d.state)));
        };
        let delivery = delivery(&Row(row))?;
        insert_events(
            &mut tx,
            delivery.order_id.as_uuid(),
            std::slice::from_ref(event),
        )
        .await?;
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
        let mut tx = self.begin().await?;
        let done: Vec<Uuid> = sqlx::query_scalar(REQUEUE_MANY)
            .bind(column(requeues, |r| r.id.as_uuid()))
            .bind(column(requeues, |r| r.event.id.as_uuid()))
            .bind(column(requeues, |r| r.event.at))
            .bind(column(requeues, |r| r.event.kind.as_str()))
            .bind(column(requeues, |r| r.event.subject))
            .bind(column(requeues, |r| r.event.detail.as_str()))
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .map_err(db("requeue deliveries"))?;
        commit(tx).await?;
        if !done.is_empty() {
            self.signal_queued();
        }
        Ok(done.into_iter().map(DeliveryId::from_uuid).collect())
    }

    async fn resolve(&self, id: DeliveryId, event: &OrderEvent) -> Result<Delivery, ResolveError> {
        let sql = format!(
            "UPDATE outbox SET state = 'resolved', lease_token = NULL, lease_until = NULL \
             WHERE id = $1 AND {OPEN} RETURNING {COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("resolve delivery"))?
        else {
            drop(tx);
            return Err(unresolvable(id, self.delivery(id).await?.map(|d| d.state)));
        };
        let delivery = delivery(&Row(row))?;
        insert_events(
            &mut tx,
            delivery.order_id.as_uuid(),
            std::slice::from_ref(event),
        )
        .await?;
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

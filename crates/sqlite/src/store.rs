//! The storage ports' implementation: transactions around the reads and writes of the sibling
//! modules. Writes go through the one writer connection, in `BEGIN IMMEDIATE` transactions when
//! they take more than one statement; reads of whole orders run in a deferred (read-only)
//! transaction for one consistent snapshot.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Order, OrderEvent, Version};
use orderbridge_domain::outbox::{Delivery, NewDelivery};
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryLog, DeliveryQuery, DeliveryQueue,
    Health, InsertError, Lease, LeaseError, OrderCursor, OrderPage, OrderQuery, OrderStore,
    OutboxStats, PollState, RequeueError, SaveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, ExternalOrderId, OrderId};
use sqlx::Transaction;
use uuid::Uuid;

use crate::codec::time;
use crate::read::{get, get_time, load_orders};
use crate::write::{
    bump_version, insert_children, insert_events, insert_order_row, insert_outbox, update_tallies,
};
use crate::{Sqlite, db, outbox};

/// The most orders one page may hold.
const MAX_PAGE: u32 = 1_000;

type Tx = Transaction<'static, sqlx::Sqlite>;

impl Sqlite {
    /// A write transaction on the writer connection: it takes SQLite's write lock at once, so it
    /// never fails later upgrading a read lock.
    async fn write(&self) -> Result<Tx, StoreError> {
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
    async fn writer(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
        self.writer
            .acquire()
            .await
            .map_err(db("acquire writer connection"))
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
        self.pool.acquire().await.map_err(db("acquire connection"))
    }
}

async fn commit(tx: Tx) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

#[async_trait]
impl OrderStore for Sqlite {
    async fn insert(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, InsertError> {
        let mut tx = self.write().await?;
        if !insert_order_row(&mut tx, order).await? {
            let existing: Uuid =
                sqlx::query_scalar("SELECT id FROM orders WHERE channel = $1 AND external_id = $2")
                    .bind(order.channel().as_str())
                    .bind(order.external_id().as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("find existing order"))?;
            return Err(InsertError::AlreadyExists {
                existing: OrderId::from_uuid(existing),
            });
        }
        insert_children(&mut tx, order).await?;
        insert_events(&mut tx, order.id().as_uuid(), order.events()).await?;
        insert_outbox(&mut tx, rows).await?;
        commit(tx).await?;
        Ok(Version::new(1))
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
        let limit = query.limit.clamp(1, MAX_PAGE);
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
        let mut keys: Vec<(Uuid, DateTime<Utc>)> = rows
            .iter()
            .map(|r| Ok((get(r, "id")?, get_time(r, "updated_at")?)))
            .collect::<Result<_, StoreError>>()?;
        let more = keys.len() > limit as usize;
        keys.truncate(limit as usize);
        let next = if more {
            keys.last().map(|(id, updated_at)| OrderCursor {
                updated_at: *updated_at,
                id: OrderId::from_uuid(*id),
            })
        } else {
            None
        };
        let ids: Vec<Uuid> = keys.iter().map(|(id, _)| *id).collect();
        let orders = load_orders(&mut tx, &ids).await?;
        commit(tx).await?;
        Ok(OrderPage { orders, next })
    }

    async fn save(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, SaveError> {
        let mut tx = self.write().await?;
        if !bump_version(&mut tx, order).await? {
            let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM orders WHERE id = $1")
                .bind(order.id().as_uuid())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("check order"))?;
            return Err(match exists {
                Some(_) => SaveError::Conflict(order.id()),
                None => SaveError::NotFound(order.id()),
            });
        }
        update_tallies(&mut tx, order).await?;
        insert_children(&mut tx, order).await?;
        insert_events(&mut tx, order.id().as_uuid(), order.new_events()).await?;
        insert_outbox(&mut tx, rows).await?;
        commit(tx).await?;
        Ok(order.version().next())
    }
}

#[async_trait]
impl DeliveryQueue for Sqlite {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        let mut tx = self.write().await?;
        let claimed = outbox::claim(&mut tx, request).await?;
        commit(tx).await?;
        Ok(claimed)
    }

    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        let mut tx = self.write().await?;
        let Some(order_id) = outbox::complete(&mut tx, lease, result).await? else {
            return Err(LeaseError::Lost(lease.delivery));
        };
        insert_events(&mut tx, order_id, std::slice::from_ref(event)).await?;
        commit(tx).await?;
        Ok(())
    }

    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.write().await?;
        let mut recorded = Vec::with_capacity(completions.len());
        for completion in completions {
            let order_id = outbox::complete(&mut tx, &completion.lease, &completion.result).await?;
            if let Some(order_id) = order_id {
                insert_events(&mut tx, order_id, std::slice::from_ref(&completion.event)).await?;
            }
            recorded.push(order_id.is_some());
        }
        commit(tx).await?;
        Ok(recorded)
    }

    async fn release(&self, token: Uuid) -> Result<u64, StoreError> {
        let mut conn = self.writer().await?;
        outbox::release(&mut conn, token).await
    }
}

#[async_trait]
impl DeliveryLog for Sqlite {
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        let mut conn = self.conn().await?;
        outbox::one(&mut conn, id).await
    }

    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        let mut conn = self.conn().await?;
        outbox::list(&mut conn, query).await
    }

    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError> {
        let mut tx = self.write().await?;
        match outbox::requeue(&mut tx, id, now).await? {
            Ok(delivery) => {
                insert_events(
                    &mut tx,
                    delivery.order_id.as_uuid(),
                    std::slice::from_ref(event),
                )
                .await?;
                commit(tx).await?;
                Ok(delivery)
            }
            Err(Some(state)) => Err(RequeueError::NotDead { id, state }),
            Err(None) => Err(RequeueError::NotFound(id)),
        }
    }

    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let mut conn = self.conn().await?;
        let (pending, dead, oldest_pending) = outbox::stats(&mut conn).await?;
        Ok(OutboxStats {
            pending,
            dead,
            oldest_pending,
        })
    }
}

#[async_trait]
impl PollState for Sqlite {
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT cursor FROM poll_cursors WHERE channel = $1")
            .bind(channel.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load poll cursor"))
    }

    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO poll_cursors (channel, cursor, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        )
        .bind(channel.as_str())
        .bind(cursor)
        .bind(time(Utc::now()))
        .execute(&mut *self.writer().await?)
        .await
        .map_err(db("save poll cursor"))?;
        Ok(())
    }

    async fn lease_poller(
        &self,
        channel: &ChannelId,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let held: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO poller_leases (channel, owner, lease_until) VALUES ($1, $2, $4) \
             ON CONFLICT (channel) DO UPDATE SET owner = excluded.owner, \
             lease_until = excluded.lease_until \
             WHERE poller_leases.owner = excluded.owner OR poller_leases.lease_until <= $3 \
             RETURNING owner",
        )
        .bind(channel.as_str())
        .bind(owner)
        .bind(time(now))
        .bind(time(until))
        .fetch_optional(&mut *self.writer().await?)
        .await
        .map_err(db("lease poller"))?;
        Ok(held == Some(owner))
    }
}

#[async_trait]
impl Health for Sqlite {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("ping"))?;
        Ok(())
    }
}

//! The storage ports' implementation: transactions around the reads and writes of the sibling
//! modules.

use std::collections::HashSet;

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
use sqlx::Row;
use uuid::Uuid;

use crate::read::load_orders;
use crate::write::{
    bump_version, insert_children, insert_events, insert_order_row, insert_outbox, update_tallies,
};
use crate::{Postgres, db, outbox};

/// The most orders one page may hold.
const MAX_PAGE: u32 = 1_000;

impl Postgres {
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db("begin transaction"))
    }

    /// A transaction in which the planner may not sort, bitmap-scan, hash-join or merge-join:
    /// see [`PLAN_ROBUST`].
    async fn begin_plan_robust(
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

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        self.pool.acquire().await.map_err(db("acquire connection"))
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

async fn commit(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

#[async_trait]
impl OrderStore for Postgres {
    async fn insert(&self, order: &Order, rows: &[NewDelivery]) -> Result<Version, InsertError> {
        let mut tx = self.begin().await?;
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
        let limit = query.limit.clamp(1, MAX_PAGE);
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
        let mut keys: Vec<(Uuid, DateTime<Utc>)> = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("updated_at")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db("read order keys"))?;
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
        let mut tx = self.begin().await?;
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
impl DeliveryQueue for Postgres {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        let mut tx = self.begin_plan_robust().await?;
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
        let mut tx = self.begin().await?;
        let Some(order_id) = outbox::complete(&mut tx, lease, result).await? else {
            return Err(LeaseError::Lost(lease.delivery));
        };
        insert_events(&mut tx, order_id, std::slice::from_ref(event)).await?;
        commit(tx).await?;
        Ok(())
    }

    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_plan_robust().await?;
        let done: HashSet<Uuid> = outbox::complete_many(&mut tx, completions)
            .await?
            .into_iter()
            .collect();
        commit(tx).await?;
        Ok(completions
            .iter()
            .map(|c| done.contains(&c.lease.delivery.as_uuid()))
            .collect())
    }

    async fn release(&self, token: Uuid) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        outbox::release(&mut conn, token).await
    }
}

#[async_trait]
impl DeliveryLog for Postgres {
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
        let mut tx = self.begin().await?;
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
impl PollState for Postgres {
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT cursor FROM poll_cursors WHERE channel = $1")
            .bind(channel.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load poll cursor"))
    }

    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO poll_cursors (channel, cursor, updated_at) VALUES ($1, $2, now()) \
             ON CONFLICT (channel) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
        )
        .bind(channel.as_str())
        .bind(cursor)
        .execute(&self.pool)
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
             ON CONFLICT (channel) DO UPDATE SET owner = EXCLUDED.owner, \
             lease_until = EXCLUDED.lease_until \
             WHERE poller_leases.owner = EXCLUDED.owner OR poller_leases.lease_until <= $3 \
             RETURNING owner",
        )
        .bind(channel.as_str())
        .bind(owner)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("lease poller"))?;
        Ok(held == Some(owner))
    }
}

#[async_trait]
impl Health for Postgres {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("ping"))?;
        Ok(())
    }
}

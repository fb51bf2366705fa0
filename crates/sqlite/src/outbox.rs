//! The outbox: claiming due rows under a lease, recording outcomes, listing and requeueing.
//! Dynamic SQL here is assembled from this module's constants and `?` placeholders only, never
//! from input.

use chrono::{DateTime, Utc};
use orderbridge_domain::outbox::{Delivery, DeliveryState};
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, DeliveryQuery, Lease, StoreError,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, OrderId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, SqliteConnection};
use uuid::Uuid;

use crate::codec::{corrupt, count, delivery_kind, delivery_state, time, time_opt};
use crate::db;
use crate::read::{get, get_time, get_time_opt};

/// The outbox columns [`delivery`] reads.
const COLUMNS: &str = "id, order_id, channel, kind, subject, line_no, state, attempts, \
     created_at, next_attempt_at, last_error, remote_ref, delivered_at";

pub(crate) fn delivery(row: &SqliteRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: DeliveryId::from_uuid(get(row, "id")?),
        order_id: OrderId::from_uuid(get(row, "order_id")?),
        channel: ChannelId::parse(&get::<String>(row, "channel")?).map_err(corrupt("channel"))?,
        kind: delivery_kind(
            &get::<String>(row, "kind")?,
            get(row, "subject")?,
            get(row, "line_no")?,
        )?,
        state: delivery_state(&get::<String>(row, "state")?)?,
        attempts: count(get(row, "attempts")?, "attempts")?,
        created_at: get_time(row, "created_at")?,
        next_attempt_at: get_time(row, "next_attempt_at")?,
        last_error: get(row, "last_error")?,
        remote_ref: get(row, "remote_ref")?,
        delivered_at: get_time_opt(row, "delivered_at")?,
    })
}

/// Claims due rows. A row is due when it is pending, its time has come, no live lease holds
/// it, its channel is not skipped, and no older row of its order is undelivered. Run it in a
/// `BEGIN IMMEDIATE` transaction: holding the write lock from the start, no other claim can
/// pick the same rows between this one's choice and its update.
pub(crate) async fn claim(
    conn: &mut SqliteConnection,
    request: &ClaimRequest,
) -> Result<Vec<Claimed>, StoreError> {
    let now = time(request.now);
    let mut sql = QueryBuilder::<sqlx::Sqlite>::new("UPDATE outbox SET lease_token = ");
    sql.push_bind(request.token)
        .push(", lease_until = ")
        .push_bind(time(request.lease_until))
        .push(
            " WHERE seq IN ( \
               SELECT o.seq FROM outbox o \
               WHERE o.state = 'pending' AND o.next_attempt_at <= ",
        )
        .push_bind(now.clone())
        .push(" AND (o.lease_until IS NULL OR o.lease_until <= ")
        .push_bind(now)
        .push(")");
    if !request.skip_channels.is_empty() {
        sql.push(" AND o.channel NOT IN (");
        let mut list = sql.separated(", ");
        for channel in &request.skip_channels {
            list.push_bind(channel.as_str());
        }
        sql.push(")");
    }
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM outbox p \
                          WHERE p.order_id = o.order_id AND p.seq < o.seq \
                            AND p.state <> 'delivered') \
          ORDER BY o.next_attempt_at, o.seq LIMIT ",
    )
    .push_bind(i64::from(request.limit))
    .push(") RETURNING seq, ")
    .push(COLUMNS);
    let rows = sql
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(db("claim outbox rows"))?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            let seq: i64 = get(row, "seq")?;
            let delivery = delivery(row)?;
            Ok((
                seq,
                Claimed {
                    lease: Lease {
                        delivery: delivery.id,
                        token: request.token,
                        until: request.lease_until,
                    },
                    delivery,
                },
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // RETURNING gives rows in no particular order: oldest due first, queue order on ties.
    claimed.sort_by_key(|(seq, c)| (c.delivery.next_attempt_at, *seq));
    Ok(claimed.into_iter().map(|(_, c)| c).collect())
}

/// Records an attempt's result if the lease is still held; returns the order id, or `None`
/// when the lease was lost.
pub(crate) async fn complete(
    conn: &mut SqliteConnection,
    lease: &Lease,
    result: &AttemptResult,
) -> Result<Option<Uuid>, StoreError> {
    let (state, next, error, remote_ref, delivered_at) = match result {
        AttemptResult::Delivered { remote_ref, at } => (
            DeliveryState::Delivered,
            None,
            None,
            remote_ref.as_deref(),
            Some(*at),
        ),
        AttemptResult::Retry { at, error } => (
            DeliveryState::Pending,
            Some(*at),
            Some(error.as_str()),
            None,
            None,
        ),
        AttemptResult::Dead { error } => {
            (DeliveryState::Dead, None, Some(error.as_str()), None, None)
        }
    };
    let row = sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, state = $3, \
         next_attempt_at = COALESCE($4, next_attempt_at), \
         last_error = COALESCE($5, last_error), remote_ref = COALESCE($6, remote_ref), \
         delivered_at = COALESCE($7, delivered_at), lease_token = NULL, lease_until = NULL \
         WHERE id = $1 AND lease_token = $2 RETURNING order_id",
    )
    .bind(lease.delivery.as_uuid())
    .bind(lease.token)
    .bind(state.as_str())
    .bind(time_opt(next))
    .bind(error)
    .bind(remote_ref)
    .bind(time_opt(delivered_at))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db("record delivery attempt"))?;
    row.map(|r| get(&r, "order_id")).transpose()
}

pub(crate) async fn release(conn: &mut SqliteConnection, token: Uuid) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_token = NULL, lease_until = NULL WHERE lease_token = $1",
    )
    .bind(token)
    .execute(&mut *conn)
    .await
    .map_err(db("release leases"))?;
    Ok(done.rows_affected())
}

pub(crate) async fn one(
    conn: &mut SqliteConnection,
    id: DeliveryId,
) -> Result<Option<Delivery>, StoreError> {
    let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
    sql.push(COLUMNS)
        .push(" FROM outbox WHERE id = ")
        .push_bind(id.as_uuid());
    sql.build()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("load delivery"))?
        .as_ref()
        .map(delivery)
        .transpose()
}

pub(crate) async fn list(
    conn: &mut SqliteConnection,
    query: &DeliveryQuery,
) -> Result<Vec<Delivery>, StoreError> {
    let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
    sql.push(COLUMNS).push(" FROM outbox WHERE true");
    if let Some(state) = query.state {
        sql.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(order) = query.order_id {
        sql.push(" AND order_id = ").push_bind(order.as_uuid());
    }
    if let Some(after) = query.after {
        sql.push(" AND seq < (SELECT seq FROM outbox WHERE id = ")
            .push_bind(after.as_uuid())
            .push(")");
    }
    sql.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(i64::from(query.limit.clamp(1, 1_000)));
    sql.build()
        .fetch_all(&mut *conn)
        .await
        .map_err(db("list deliveries"))?
        .iter()
        .map(delivery)
        .collect()
}

/// Puts a dead row back in the queue; `Err(Some(state))` when it is not dead, `Err(None)` when
/// there is no such row.
pub(crate) async fn requeue(
    conn: &mut SqliteConnection,
    id: DeliveryId,
    now: DateTime<Utc>,
) -> Result<Result<Delivery, Option<DeliveryState>>, StoreError> {
    let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
        "UPDATE outbox SET state = 'pending', lease_token = NULL, lease_until = NULL, \
         next_attempt_at = ",
    );
    sql.push_bind(time(now))
        .push(" WHERE id = ")
        .push_bind(id.as_uuid())
        .push(" AND state = 'dead' RETURNING ")
        .push(COLUMNS);
    if let Some(row) = sql
        .build()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("requeue delivery"))?
    {
        return Ok(Ok(delivery(&row)?));
    }
    Ok(Err(one(conn, id).await?.map(|d| d.state)))
}

pub(crate) async fn stats(
    conn: &mut SqliteConnection,
) -> Result<(u64, u64, Option<DateTime<Utc>>), StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending, \
                (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead, \
                (SELECT min(created_at) FROM outbox WHERE state = 'pending') AS oldest",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db("outbox stats"))?;
    let pending: i64 = get(&row, "pending")?;
    let dead: i64 = get(&row, "dead")?;
    Ok((
        u64::try_from(pending).unwrap_or_default(),
        u64::try_from(dead).unwrap_or_default(),
        get_time_opt(&row, "oldest")?,
    ))
}

//! The outbox: claiming due rows under a lease, recording outcomes, listing and requeueing.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.

use chrono::{DateTime, Utc};
use orderbridge_domain::outbox::{Delivery, DeliveryState};
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQuery, Lease, StoreError,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, OrderId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::codec::{corrupt, count, delivery_kind, delivery_state};
use crate::db;

/// The outbox columns [`delivery`] reads.
pub(crate) const COLUMNS: &str = "id, order_id, channel, kind, subject, line_no, state, \
     attempts, created_at, next_attempt_at, last_error, remote_ref, delivered_at";

fn column<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    name: &str,
) -> Result<T, StoreError> {
    row.try_get(name)
        .map_err(|e| StoreError::with_source(format!("cannot read outbox column {name}"), e))
}

pub(crate) fn delivery(row: &PgRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: DeliveryId::from_uuid(column(row, "id")?),
        order_id: OrderId::from_uuid(column(row, "order_id")?),
        channel: ChannelId::parse(&column::<String>(row, "channel")?)
            .map_err(corrupt("channel"))?,
        kind: delivery_kind(
            &column::<String>(row, "kind")?,
            column(row, "subject")?,
            column(row, "line_no")?,
        )?,
        state: delivery_state(&column::<String>(row, "state")?)?,
        attempts: count(column(row, "attempts")?, "attempts")?,
        created_at: column(row, "created_at")?,
        next_attempt_at: column(row, "next_attempt_at")?,
        last_error: column(row, "last_error")?,
        remote_ref: column(row, "remote_ref")?,
        delivered_at: column(row, "delivered_at")?,
    })
}

/// Claims due rows. A row is due when it is pending, its time has come, no live lease holds
/// it, its channel is not skipped, and no older row of its order is undelivered. `SKIP LOCKED`
/// lets concurrent claimers pass over rows another claim is taking.
pub(crate) async fn claim(
    conn: &mut PgConnection,
    request: &ClaimRequest,
) -> Result<Vec<Claimed>, StoreError> {
    let skip: Vec<&str> = request
        .skip_channels
        .iter()
        .map(ChannelId::as_str)
        .collect();
    let sql = format!(
        "WITH due AS ( \
           SELECT o.seq FROM outbox o \
           WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.lease_until IS NULL OR o.lease_until <= $1) \
             AND NOT (o.channel = ANY($2)) \
             AND NOT EXISTS (SELECT 1 FROM outbox p \
                             WHERE p.order_id = o.order_id AND p.seq < o.seq \
                               AND p.state <> 'delivered') \
           ORDER BY o.next_attempt_at, o.seq \
           LIMIT $3 \
           FOR UPDATE SKIP LOCKED) \
         UPDATE outbox SET lease_token = $4, lease_until = $5 \
         WHERE outbox.seq = ANY(ARRAY(SELECT seq FROM due)) \
         RETURNING {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("outbox.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request.now)
        .bind(&skip)
        .bind(i64::from(request.limit))
        .bind(request.token)
        .bind(request.lease_until)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("claim outbox rows"))?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            let delivery = delivery(row)?;
            Ok(Claimed {
                lease: Lease {
                    delivery: delivery.id,
                    token: request.token,
                    until: request.lease_until,
                },
                delivery,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by_key(|c| (c.delivery.next_attempt_at, c.delivery.created_at));
    Ok(claimed)
}

/// Records an attempt's result if the lease is still held; returns the order id, or `None`
/// when the lease was lost.
pub(crate) async fn complete(
    conn: &mut PgConnection,
    lease: &Lease,
    result: &AttemptResult,
) -> Result<Option<Uuid>, StoreError> {
    let (state, next, error, remote_ref, delivered_at) = columns(result);
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
    .bind(next)
    .bind(error)
    .bind(remote_ref)
    .bind(delivered_at)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db("record delivery attempt"))?;
    row.map(|r| column(&r, "order_id")).transpose()
}

/// What one attempt's result writes: state, next attempt, error, remote reference, delivery
/// time (`None` keeps the stored value).
type Columns<'a> = (
    DeliveryState,
    Option<DateTime<Utc>>,
    Option<&'a str>,
    Option<&'a str>,
    Option<DateTime<Utc>>,
);

fn columns(result: &AttemptResult) -> Columns<'_> {
    match result {
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
    }
}

/// Records several attempts' results with their history entries in one statement, each only
/// if its lease is still held; returns the ids of the deliveries recorded. Run it in a
/// transaction begun with [`crate::store::PLAN_ROBUST`], so that the join with the input
/// probes the outbox's id index whatever the statistics say.
pub(crate) async fn complete_many(
    conn: &mut PgConnection,
    completions: &[Completion],
) -> Result<Vec<Uuid>, StoreError> {
    let written: Vec<Columns<'_>> = completions.iter().map(|c| columns(&c.result)).collect();
    sqlx::query_scalar(
        "WITH input AS ( \
           SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], \
             $5::text[], $6::text[], $7::timestamptz[], $8::uuid[], $9::timestamptz[], \
             $10::text[], $11::uuid[], $12::text[]) WITH ORDINALITY \
             AS i(id, token, state, next_at, error, remote_ref, delivered_at, event_id, \
                  event_at, event_kind, event_subject, event_detail, n)), \
         done AS ( \
           UPDATE outbox o SET attempts = o.attempts + 1, state = i.state, \
             next_attempt_at = COALESCE(i.next_at, o.next_attempt_at), \
             last_error = COALESCE(i.error, o.last_error), \
             remote_ref = COALESCE(i.remote_ref, o.remote_ref), \
             delivered_at = COALESCE(i.delivered_at, o.delivered_at), \
             lease_token = NULL, lease_until = NULL \
           FROM input i WHERE o.id = i.id AND o.lease_token = i.token \
           RETURNING o.id, o.order_id), \
         history AS ( \
           INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
           SELECT i.event_id, d.order_id, i.event_at, i.event_kind, i.event_subject, \
                  i.event_detail \
           FROM input i JOIN done d ON d.id = i.id ORDER BY i.n) \
         SELECT id FROM done",
    )
    .bind(
        completions
            .iter()
            .map(|c| c.lease.delivery.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(
        completions
            .iter()
            .map(|c| c.lease.token)
            .collect::<Vec<_>>(),
    )
    .bind(written.iter().map(|w| w.0.as_str()).collect::<Vec<_>>())
    .bind(written.iter().map(|w| w.1).collect::<Vec<_>>())
    .bind(written.iter().map(|w| w.2).collect::<Vec<_>>())
    .bind(written.iter().map(|w| w.3).collect::<Vec<_>>())
    .bind(written.iter().map(|w| w.4).collect::<Vec<_>>())
    .bind(
        completions
            .iter()
            .map(|c| c.event.id.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(completions.iter().map(|c| c.event.at).collect::<Vec<_>>())
    .bind(
        completions
            .iter()
            .map(|c| c.event.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        completions
            .iter()
            .map(|c| c.event.subject)
            .collect::<Vec<_>>(),
    )
    .bind(
        completions
            .iter()
            .map(|c| c.event.detail.as_str())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db("record delivery attempts"))
}

pub(crate) async fn release(conn: &mut PgConnection, token: Uuid) -> Result<u64, StoreError> {
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
    conn: &mut PgConnection,
    id: DeliveryId,
) -> Result<Option<Delivery>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("load delivery"))?
        .as_ref()
        .map(delivery)
        .transpose()
}

pub(crate) async fn list(
    conn: &mut PgConnection,
    query: &DeliveryQuery,
) -> Result<Vec<Delivery>, StoreError> {
    let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
        "SELECT {COLUMNS} FROM outbox WHERE true"
    ));
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
    conn: &mut PgConnection,
    id: DeliveryId,
    now: DateTime<Utc>,
) -> Result<Result<Delivery, Option<DeliveryState>>, StoreError> {
    let sql = format!(
        "UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_token = NULL, \
         lease_until = NULL WHERE id = $1 AND state = 'dead' RETURNING {COLUMNS}"
    );
    if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_uuid())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("requeue delivery"))?
    {
        return Ok(Ok(delivery(&row)?));
    }
    Ok(Err(one(conn, id).await?.map(|d| d.state)))
}

pub(crate) async fn stats(
    conn: &mut PgConnection,
) -> Result<(u64, u64, Option<DateTime<Utc>>), StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending, \
                (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead, \
                (SELECT min(created_at) FROM outbox WHERE state = 'pending') AS oldest",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db("outbox stats"))?;
    let pending: i64 = column(&row, "pending")?;
    let dead: i64 = column(&row, "dead")?;
    Ok((
        u64::try_from(pending).unwrap_or_default(),
        u64::try_from(dead).unwrap_or_default(),
        column(&row, "oldest")?,
    ))
}

//! The dispatcher's side of the outbox on SQLite: claiming due rows under a lease, recording
//! outcomes, giving leases back. Every write runs on the one writer connection; a claim runs in
//! a `BEGIN IMMEDIATE` transaction. Dynamic SQL here is assembled from this module's constants
//! and `?` placeholders only, never from input.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, Lease, LeaseError, StoreError,
    lease_end,
};
use orderbridge_rows::Columns;
use orderbridge_rows::outbox::{COLUMNS, Outcome, claimed, delivery};
use sqlx::{QueryBuilder, SqliteConnection};
use uuid::Uuid;

use crate::channels::insert_alerts;
use crate::codec::{time, time_opt};
use crate::row::Row;
use crate::store::commit;
use crate::write::insert_events;
use crate::{Sqlite, db};

/// Claims due rows. A row is due when it is pending, its time has come, no live lease holds
/// it, its channel is not skipped nor held back by its health (unless probed: then only that
/// channel), and every row it waits for is delivered or resolved. Leases run and run out by
/// the store's clock, the host's (SQLite has no server clock), never by the request's. Run it in a
/// `BEGIN IMMEDIATE` transaction: holding the write lock from the start, no other claim can
/// pick the same rows between this one's choice and its update.
async fn claim(
    conn: &mut SqliteConnection,
    request: &ClaimRequest,
) -> Result<Vec<Claimed>, StoreError> {
    let now = time(request.now);
    let clock = Utc::now();
    let until = lease_end(clock, request.lease);
    let mut sql = QueryBuilder::<sqlx::Sqlite>::new("UPDATE outbox SET lease_token = ");
    sql.push_bind(request.token)
        .push(", lease_until = ")
        .push_bind(time(until))
        .push(
            " WHERE seq IN ( \
               SELECT o.seq FROM outbox o \
               WHERE o.state = 'pending' AND o.next_attempt_at <= ",
        )
        .push_bind(now.clone())
        .push(" AND (o.lease_until IS NULL OR o.lease_until <= ")
        .push_bind(time(clock))
        .push(")");
    match &request.probe {
        Some(channel) => {
            sql.push(" AND o.channel = ").push_bind(channel.as_str());
        }
        None => {
            sql.push(
                " AND NOT EXISTS (SELECT 1 FROM channel_states c WHERE c.channel = o.channel \
                   AND (c.state = 'paused' OR (c.state = 'backing_off' AND c.until > ",
            )
            .push_bind(now)
            .push(")))");
        }
    }
    if !request.skip_channels.is_empty() {
        sql.push(" AND o.channel NOT IN (");
        let mut list = sql.separated(", ");
        for channel in &request.skip_channels {
            list.push_bind(channel.as_str());
        }
        sql.push(")");
    }
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM outbox_waits w JOIN outbox p ON p.id = w.waits_for \
                          WHERE w.delivery_id = o.id \
                            AND p.state NOT IN ('delivered', 'resolved')) \
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
        .into_iter()
        .map(|row| {
            let row = Row(row);
            Ok((
                row.big("seq")?,
                claimed(delivery(&row)?, request.token, until),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // RETURNING gives rows in no particular order: oldest due first, queue order on ties.
    claimed.sort_by_key(|(seq, c)| (c.delivery.next_attempt_at, *seq));
    Ok(claimed.into_iter().map(|(_, c)| c).collect())
}

/// Records an attempt's result if the lease is still held; returns the order id, or `None`
/// when the lease was lost.
async fn complete(
    conn: &mut SqliteConnection,
    lease: &Lease,
    result: &AttemptResult,
) -> Result<Option<Uuid>, StoreError> {
    let outcome = Outcome::of(result);
    let row = sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, state = $3, \
         next_attempt_at = COALESCE($4, next_attempt_at), \
         last_error = COALESCE($5, last_error), remote_ref = COALESCE($6, remote_ref), \
         delivered_at = COALESCE($7, delivered_at), lease_token = NULL, lease_until = NULL \
         WHERE id = $1 AND lease_token = $2 RETURNING order_id",
    )
    .bind(lease.delivery.as_uuid())
    .bind(lease.token)
    .bind(outcome.state.as_str())
    .bind(time_opt(outcome.next_attempt_at))
    .bind(outcome.error)
    .bind(outcome.remote_ref)
    .bind(time_opt(outcome.delivered_at))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db("record delivery attempt"))?;
    row.map(|r| Row(r).uuid("order_id")).transpose()
}

#[async_trait]
impl DeliveryQueue for Sqlite {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        let mut tx = self.begin_write().await?;
        let claimed = claim(&mut tx, request).await?;
        commit(tx).await?;
        Ok(claimed)
    }

    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        let (result, event) = (result.cleaned(), event.cleaned());
        let mut tx = self.begin_write().await?;
        let Some(order_id) = complete(&mut tx, lease, &result).await? else {
            return Err(LeaseError::Lost(lease.delivery));
        };
        insert_events(&mut tx, order_id, std::slice::from_ref(&event)).await?;
        commit(tx).await?;
        Ok(())
    }

    /// One transaction for the batch, one statement per outcome (SQLite has no arrays).
    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut recorded = Vec::with_capacity(completions.len());
        for completion in completions.iter().map(Completion::cleaned) {
            let order_id = complete(&mut tx, &completion.lease, &completion.result).await?;
            if let Some(order_id) = order_id {
                insert_events(&mut tx, order_id, std::slice::from_ref(&completion.event)).await?;
                insert_alerts(&mut tx, completion.alert.as_slice()).await?;
            }
            recorded.push(order_id.is_some());
        }
        commit(tx).await?;
        Ok(recorded)
    }

    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let until = lease_end(Utc::now(), length);
        let done =
            sqlx::query("UPDATE outbox SET lease_until = $3 WHERE id = $1 AND lease_token = $2")
                .bind(lease.delivery.as_uuid())
                .bind(lease.token)
                .bind(time(until))
                .execute(&mut *self.writer().await?)
                .await
                .map_err(db("renew a lease"))?;
        Ok((done.rows_affected() > 0).then_some(until))
    }

    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        if tokens.is_empty() {
            return Ok(0);
        }
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE outbox SET lease_token = NULL, lease_until = NULL WHERE lease_token IN (",
        );
        let mut list = sql.separated(", ");
        for token in tokens {
            list.push_bind(*token);
        }
        sql.push(")");
        let done = sql
            .build()
            .execute(&mut *self.writer().await?)
            .await
            .map_err(db("release leases"))?;
        Ok(done.rows_affected())
    }
}

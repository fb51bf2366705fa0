//! The dispatcher's side of the outbox on PostgreSQL: claiming due rows under a lease with
//! `FOR UPDATE SKIP LOCKED`, recording outcomes, giving leases back.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, Lease, LeaseError, StoreError,
};
use orderbridge_domain::values::ChannelId;
use orderbridge_rows::Columns;
use orderbridge_rows::outbox::{COLUMNS, Outcome, claimed, delivery};
use uuid::Uuid;

use crate::channels::insert_alerts;
use crate::row::Row;
use crate::store::commit;
use crate::write::{column, insert_events};
use crate::{Postgres, db};

/// The claim: a row is due when it is pending, its time has come, no live lease holds it, its
/// channel is not skipped nor held back by its health (unless probed: then only that channel),
/// and every row it waits for is delivered or resolved. `SKIP LOCKED` lets
/// concurrent claimers pass over rows another claim is taking. Leases run and run out by the
/// database's clock (`clock_timestamp()`, `$5` milliseconds long), never by an instance's.
fn claim_sql() -> String {
    format!(
        "WITH due AS ( \
           SELECT o.seq FROM outbox o \
           WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.lease_until IS NULL OR o.lease_until <= clock_timestamp()) \
             AND NOT (o.channel = ANY($2)) \
             AND (($6::text IS NULL AND NOT EXISTS ( \
                    SELECT 1 FROM channel_states c WHERE c.channel = o.channel \
                      AND (c.state = 'paused' OR (c.state = 'backing_off' AND c.until > $1)))) \
                  OR o.channel = $6) \
             AND NOT EXISTS (SELECT 1 FROM outbox_waits w JOIN outbox p ON p.id = w.waits_for \
                             WHERE w.delivery_id = o.id \
                               AND p.state NOT IN ('delivered', 'resolved')) \
           ORDER BY o.next_attempt_at, o.seq \
           LIMIT $3 \
           FOR UPDATE SKIP LOCKED) \
         UPDATE outbox SET lease_token = $4, \
           lease_until = clock_timestamp() + $5 * interval '1 millisecond' \
         WHERE outbox.seq = ANY(ARRAY(SELECT seq FROM due)) \
         RETURNING outbox.lease_until, {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("outbox.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Records several attempts' results with their history entries in one statement, each only
/// if its lease is still held; returns the ids of the deliveries recorded. Run in a
/// transaction begun with [`crate::store::PLAN_ROBUST`], so that the join with the input
/// probes the outbox's id index whatever the statistics say.
const COMPLETE_MANY: &str = "WITH input AS ( \
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
     SELECT id FROM done";

/// `duration` in whole milliseconds, as the lease statements take it.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl DeliveryQueue for Postgres {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        let skip: Vec<&str> = request
            .skip_channels
            .iter()
            .map(ChannelId::as_str)
            .collect();
        let mut tx = self.begin_plan_robust().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(claim_sql()))
            .bind(request.now)
            .bind(&skip)
            .bind(i64::from(request.limit))
            .bind(request.token)
            .bind(millis(request.lease))
            .bind(request.probe.as_ref().map(ChannelId::as_str))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("claim outbox rows"))?;
        let mut claimed = rows
            .into_iter()
            .map(|row| {
                let row = Row(row);
                Ok(claimed(
                    delivery(&row)?,
                    request.token,
                    row.time("lease_until")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        commit(tx).await?;
        claimed.sort_by_key(|c| (c.delivery.next_attempt_at, c.delivery.created_at));
        Ok(claimed)
    }

    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        let (result, event) = (result.cleaned(), event.cleaned());
        let event = &event;
        let outcome = Outcome::of(&result);
        let mut tx = self.begin().await?;
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
        .bind(outcome.next_attempt_at)
        .bind(outcome.error)
        .bind(outcome.remote_ref)
        .bind(outcome.delivered_at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("record delivery attempt"))?;
        let Some(row) = row else {
            return Err(LeaseError::Lost(lease.delivery));
        };
        let order_id = Row(row).uuid("order_id")?;
        insert_events(&mut tx, order_id, std::slice::from_ref(event)).await?;
        commit(tx).await?;
        Ok(())
    }

    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        // PostgreSQL refuses a NUL in text: one such reference would fail the whole batch.
        let completions: Vec<Completion> = completions.iter().map(Completion::cleaned).collect();
        let completions = completions.as_slice();
        let written: Vec<Outcome<'_>> =
            completions.iter().map(|c| Outcome::of(&c.result)).collect();
        let mut tx = self.begin_plan_robust().await?;
        let done: Vec<Uuid> = sqlx::query_scalar(COMPLETE_MANY)
            .bind(column(completions, |c| c.lease.delivery.as_uuid()))
            .bind(column(completions, |c| c.lease.token))
            .bind(column(&written, |w| w.state.as_str()))
            .bind(column(&written, |w| w.next_attempt_at))
            .bind(column(&written, |w| w.error))
            .bind(column(&written, |w| w.remote_ref))
            .bind(column(&written, |w| w.delivered_at))
            .bind(column(completions, |c| c.event.id.as_uuid()))
            .bind(column(completions, |c| c.event.at))
            .bind(column(completions, |c| c.event.kind.as_str()))
            .bind(column(completions, |c| c.event.subject))
            .bind(column(completions, |c| c.event.detail.as_str()))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("record delivery attempts"))?;
        let done: HashSet<Uuid> = done.into_iter().collect();
        let alerts: Vec<&Alert> = completions
            .iter()
            .filter(|c| done.contains(&c.lease.delivery.as_uuid()))
            .filter_map(|c| c.alert.as_ref())
            .collect();
        insert_alerts(&mut tx, &alerts).await?;
        commit(tx).await?;
        Ok(completions
            .iter()
            .map(|c| done.contains(&c.lease.delivery.as_uuid()))
            .collect())
    }

    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar(
            "UPDATE outbox SET lease_until = clock_timestamp() + $3 * interval '1 millisecond' \
             WHERE id = $1 AND lease_token = $2 RETURNING lease_until",
        )
        .bind(lease.delivery.as_uuid())
        .bind(lease.token)
        .bind(millis(length))
        .fetch_optional(&self.pool)
        .await
        .map_err(db("renew a lease"))
    }

    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        if tokens.is_empty() {
            return Ok(0);
        }
        let done = sqlx::query(
            "UPDATE outbox SET lease_token = NULL, lease_until = NULL \
             WHERE lease_token = ANY($1)",
        )
        .bind(tokens)
        .execute(&self.pool)
        .await
        .map_err(db("release leases"))?;
        Ok(done.rows_affected())
    }
}

//! Channel health and the alert queue on PostgreSQL: health rows written by compare-and-set on
//! their version, alerts claimed under a lease with `FOR UPDATE SKIP LOCKED` like the outbox.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::health::ChannelHealth;
use orderbridge_domain::ports::store::{
    AlertQueue, AttemptResult, ChannelStates, QueuedAlert, StoreError,
};
use orderbridge_domain::values::AlertId;
use orderbridge_rows::channels::{ALERT_COLUMNS, HEALTH_COLUMNS, HealthRow, health, queued_alerts};
use orderbridge_rows::outbox::Outcome;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::row::Row;
use crate::store::commit;
use crate::write::column;
use crate::{Postgres, db};

/// Queues `alerts`, pending and due at once, in the caller's transaction.
pub(crate) async fn insert_alerts(
    conn: &mut PgConnection,
    alerts: &[&Alert],
) -> Result<(), StoreError> {
    if alerts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO alerts (id, kind, channel, order_id, delivery_id, message, at, state, \
         next_attempt_at) \
         SELECT a.id, a.kind, a.channel, a.order_id, a.delivery_id, a.message, a.at, \
                'pending', a.at \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], \
              $7::timestamptz[]) WITH ORDINALITY \
              AS a(id, kind, channel, order_id, delivery_id, message, at, n) ORDER BY a.n",
    )
    .bind(column(alerts, |a| a.id.as_uuid()))
    .bind(column(alerts, |a| a.kind.as_str()))
    .bind(column(alerts, |a| a.channel.as_str()))
    .bind(column(alerts, |a| a.order_id.map(|o| o.as_uuid())))
    .bind(column(alerts, |a| a.delivery_id.map(|d| d.as_uuid())))
    .bind(column(alerts, |a| a.message.as_str()))
    .bind(column(alerts, |a| a.at))
    .execute(&mut *conn)
    .await
    .map_err(db("queue alerts"))?;
    Ok(())
}

#[async_trait]
impl ChannelStates for Postgres {
    async fn channel_states(&self) -> Result<Vec<ChannelHealth>, StoreError> {
        let sql = format!("SELECT {HEALTH_COLUMNS} FROM channel_states ORDER BY channel");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db("load channel health"))?
            .into_iter()
            .map(|row| health(&Row(row)))
            .collect()
    }

    async fn put_channel_state(
        &self,
        health: &ChannelHealth,
        alerts: &[Alert],
    ) -> Result<bool, StoreError> {
        let row = HealthRow::of(health);
        let mut tx = self.begin().await?;
        // One upsert. A first write (expected version 0) inserts, losing to a row already
        // there (no stored version is 0); a later one updates the version it read, losing when
        // that moved on, and inserts nothing when the row is gone.
        let written = sqlx::query(
            "INSERT INTO channel_states (channel, state, reason, paused_by, since, failures, \
               until, last_success, version) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $10 \
             WHERE $9 = 0 OR EXISTS (SELECT 1 FROM channel_states WHERE channel = $1) \
             ON CONFLICT (channel) DO UPDATE SET state = EXCLUDED.state, \
               reason = EXCLUDED.reason, paused_by = EXCLUDED.paused_by, since = EXCLUDED.since, \
               failures = EXCLUDED.failures, until = EXCLUDED.until, \
               last_success = EXCLUDED.last_success, version = EXCLUDED.version \
             WHERE channel_states.version = $9",
        )
        .bind(row.channel)
        .bind(row.state)
        .bind(row.reason)
        .bind(row.paused_by)
        .bind(row.since)
        .bind(row.failures)
        .bind(row.until)
        .bind(row.last_success)
        .bind(row.expected)
        .bind(row.version)
        .execute(&mut *tx)
        .await
        .map_err(db("write channel health"))?
        .rows_affected()
            == 1;
        if !written {
            return Ok(false);
        }
        let alerts: Vec<&Alert> = alerts.iter().collect();
        insert_alerts(&mut tx, &alerts).await?;
        commit(tx).await?;
        Ok(true)
    }
}

#[async_trait]
impl AlertQueue for Postgres {
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        token: Uuid,
        limit: u32,
    ) -> Result<Vec<QueuedAlert>, StoreError> {
        let sql = format!(
            "WITH due AS (SELECT seq FROM alerts WHERE state = 'pending' \
               AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
               ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE alerts SET lease_token = $3, lease_until = $4 \
             WHERE seq IN (SELECT seq FROM due) RETURNING {ALERT_COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(i64::from(limit))
            .bind(token)
            .bind(until)
            .fetch_all(&self.pool)
            .await
            .map_err(db("claim alerts"))?;
        queued_alerts(rows.into_iter().map(Row))
    }

    async fn complete_alert(
        &self,
        id: AlertId,
        token: Uuid,
        result: &AttemptResult,
    ) -> Result<bool, StoreError> {
        let outcome = Outcome::of(result);
        let done = sqlx::query(
            "UPDATE alerts SET attempts = attempts + 1, state = $3, \
             next_attempt_at = COALESCE($4, next_attempt_at), \
             last_error = COALESCE($5, last_error), lease_token = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_token = $2",
        )
        .bind(id.as_uuid())
        .bind(token)
        .bind(outcome.state.as_str())
        .bind(outcome.next_attempt_at)
        .bind(outcome.error)
        .execute(&self.pool)
        .await
        .map_err(db("record an alert attempt"))?;
        Ok(done.rows_affected() == 1)
    }
}

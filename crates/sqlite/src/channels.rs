//! Channel health and the alert queue on SQLite: health rows written by compare-and-set on
//! their version, alerts claimed under a lease in a `BEGIN IMMEDIATE` transaction like the
//! outbox. Dynamic SQL here is assembled from this module's constants only.

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
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::codec::{time, time_opt};
use crate::row::Row;
use crate::store::commit;
use crate::{Sqlite, db};

#[async_trait]
impl ChannelStates for Sqlite {
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
        let mut tx = self.begin_write().await?;
        // A first write inserts (losing to a row already there); a later one updates the
        // version it read (losing when that moved on or the row is gone).
        let sql = if row.expected == 0 {
            "INSERT INTO channel_states (channel, state, reason, paused_by, since, failures, \
             until, last_success, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10) \
             ON CONFLICT (channel) DO NOTHING"
        } else {
            "UPDATE channel_states SET state = $2, reason = $3, paused_by = $4, since = $5, \
             failures = $6, until = $7, last_success = $8, version = $10 \
             WHERE channel = $1 AND version = $9"
        };
        let written = sqlx::query(sql)
            .bind(row.channel)
            .bind(row.state)
            .bind(row.reason)
            .bind(row.paused_by)
            .bind(time(row.since))
            .bind(row.failures)
            .bind(time_opt(row.until))
            .bind(time_opt(row.last_success))
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
        insert_alerts(&mut tx, alerts).await?;
        commit(tx).await?;
        Ok(true)
    }
}

#[async_trait]
impl AlertQueue for Sqlite {
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        token: Uuid,
        limit: u32,
    ) -> Result<Vec<QueuedAlert>, StoreError> {
        let sql = format!(
            "UPDATE alerts SET lease_token = $3, lease_until = $4 WHERE seq IN ( \
               SELECT seq FROM alerts WHERE state = 'pending' AND next_attempt_at <= $1 \
                 AND (lease_until IS NULL OR lease_until <= $1) \
               ORDER BY next_attempt_at, seq LIMIT $2) RETURNING {ALERT_COLUMNS}"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(time(now))
            .bind(i64::from(limit))
            .bind(token)
            .bind(time(until))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("claim alerts"))?;
        commit(tx).await?;
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
        .bind(time_opt(outcome.next_attempt_at))
        .bind(outcome.error)
        .execute(&mut *self.writer().await?)
        .await
        .map_err(db("record an alert attempt"))?;
        Ok(done.rows_affected() == 1)
    }
}

/// Queues `alerts`, pending and due at once, in the caller's transaction.
pub(crate) async fn insert_alerts(
    conn: &mut SqliteConnection,
    alerts: &[Alert],
) -> Result<(), StoreError> {
    for alert in alerts {
        sqlx::query(
            "INSERT INTO alerts (id, kind, channel, order_id, delivery_id, message, at, state, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $7)",
        )
        .bind(alert.id.as_uuid())
        .bind(alert.kind.as_str())
        .bind(alert.channel.as_str())
        .bind(alert.order_id.map(|o| o.as_uuid()))
        .bind(alert.delivery_id.map(|d| d.as_uuid()))
        .bind(alert.message.as_str())
        .bind(time(alert.at))
        .execute(&mut *conn)
        .await
        .map_err(db("queue an alert"))?;
    }
    Ok(())
}

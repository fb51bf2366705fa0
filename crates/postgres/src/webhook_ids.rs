//! Signed webhook calls received, on PostgreSQL: one row per channel and `webhook-id`, its
//! `keep_until` decided by the domain. Concurrent records of one id serialise on its primary
//! key: the second waits for the first to commit, then finds it and records nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{StoreError, WebhookIds};
use orderbridge_domain::values::ChannelId;

use crate::{Postgres, db};

#[async_trait]
impl WebhookIds for Postgres {
    async fn record_webhook_id(
        &self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM webhook_ids WHERE keep_until <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db("delete webhook ids past their time"))?;
        // A row past its time that the delete above did not see (another instance's clock)
        // counts as none: it is taken over.
        let recorded = sqlx::query(
            "INSERT INTO webhook_ids (channel, webhook_id, received_at, keep_until) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel, webhook_id) DO UPDATE \
               SET received_at = EXCLUDED.received_at, keep_until = EXCLUDED.keep_until \
               WHERE webhook_ids.keep_until <= EXCLUDED.received_at \
             RETURNING webhook_id",
        )
        .bind(channel.as_str())
        .bind(id)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("record a webhook id"))?;
        Ok(recorded.is_some())
    }

    async fn forget_webhook_id(&self, channel: &ChannelId, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_ids WHERE channel = $1 AND webhook_id = $2")
            .bind(channel.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db("forget a webhook id"))?;
        Ok(())
    }
}

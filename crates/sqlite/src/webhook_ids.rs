//! Signed webhook calls received, on SQLite: one row per channel and `webhook-id`, its
//! `keep_until` decided by the domain; both statements of a record run on the one writer
//! connection, so concurrent records of one id run one after the other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{StoreError, WebhookIds};
use orderbridge_domain::values::ChannelId;

use crate::codec::time;
use crate::{Sqlite, db};

#[async_trait]
impl WebhookIds for Sqlite {
    async fn record_webhook_id(
        &self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut writer = self.writer().await?;
        sqlx::query("DELETE FROM webhook_ids WHERE keep_until <= $1")
            .bind(time(now))
            .execute(&mut *writer)
            .await
            .map_err(db("delete webhook ids past their time"))?;
        let recorded = sqlx::query(
            "INSERT INTO webhook_ids (channel, webhook_id, received_at, keep_until) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel, webhook_id) DO UPDATE \
               SET received_at = excluded.received_at, keep_until = excluded.keep_until \
               WHERE webhook_ids.keep_until <= excluded.received_at \
             RETURNING webhook_id",
        )
        .bind(channel.as_str())
        .bind(id)
        .bind(time(now))
        .bind(time(until))
        .fetch_optional(&mut *writer)
        .await
        .map_err(db("record a webhook id"))?;
        Ok(recorded.is_some())
    }

    async fn forget_webhook_id(&self, channel: &ChannelId, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_ids WHERE channel = $1 AND webhook_id = $2")
            .bind(channel.as_str())
            .bind(id)
            .execute(&mut *self.writer().await?)
            .await
            .map_err(db("forget a webhook id"))?;
        Ok(())
    }
}

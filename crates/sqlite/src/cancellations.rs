//! Early marketplace cancellations on SQLite: one row per order not stored yet, replaced
//! when the marketplace says it again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::MarketplaceCancel;
use orderbridge_domain::ports::store::{EarlyCancellations, StoreError};
use orderbridge_domain::values::{ChannelId, ExternalOrderId};
use orderbridge_rows::cancellations::{EARLY_CANCELLATION_COLUMNS, early_cancellation};

use crate::codec::time;
use crate::row::Row;
use crate::{Sqlite, db};

#[async_trait]
impl EarlyCancellations for Sqlite {
    async fn keep_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
        cancel: &MarketplaceCancel,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO marketplace_cancellations (channel, external_id, reason, note, \
               cancelled_at, received_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (channel, external_id) DO UPDATE SET reason = EXCLUDED.reason, \
               note = EXCLUDED.note, cancelled_at = EXCLUDED.cancelled_at, \
               received_at = EXCLUDED.received_at",
        )
        .bind(channel.as_str())
        .bind(external_id.as_str())
        .bind(cancel.reason.as_str())
        .bind(cancel.note.as_deref())
        .bind(time(cancel.at))
        .bind(time(now))
        .execute(&mut *self.writer().await?)
        .await
        .map_err(db("keep a marketplace cancellation"))?;
        Ok(())
    }

    async fn kept_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<MarketplaceCancel>, StoreError> {
        let sql = format!(
            "SELECT {EARLY_CANCELLATION_COLUMNS} FROM marketplace_cancellations \
             WHERE channel = $1 AND external_id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(channel.as_str())
            .bind(external_id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("look for a kept marketplace cancellation"))?
            .map(|row| early_cancellation(&Row(row)))
            .transpose()
    }

    async fn forget_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM marketplace_cancellations WHERE channel = $1 AND external_id = $2",
        )
        .bind(channel.as_str())
        .bind(external_id.as_str())
        .execute(&mut *self.writer().await?)
        .await
        .map_err(db("forget a marketplace cancellation"))?;
        Ok(())
    }
}

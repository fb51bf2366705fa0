//! Pull channels' poll state on SQLite (a cursor and a poller lease per channel account, each
//! one upsert on the writer connection) and the readiness check.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{Health, PollState, StoreError, lease_end};
use orderbridge_domain::values::ChannelId;
use uuid::Uuid;

use crate::codec::time;
use crate::{Sqlite, db};

#[async_trait]
impl PollState for Sqlite {
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT cursor FROM poll_cursors WHERE channel = $1")
            .bind(channel.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load poll cursor"))
    }

    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO poll_cursors (channel, cursor, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        )
        .bind(channel.as_str())
        .bind(cursor)
        .bind(time(Utc::now()))
        .execute(&mut *self.writer().await?)
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
        // By the store's clock (the host's: SQLite has no server), for `until - now`.
        let clock = Utc::now();
        let length = (until - now).to_std().unwrap_or_default();
        let held: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO poller_leases (channel, owner, lease_until) VALUES ($1, $2, $4) \
             ON CONFLICT (channel) DO UPDATE SET owner = excluded.owner, \
             lease_until = excluded.lease_until \
             WHERE poller_leases.owner = excluded.owner OR poller_leases.lease_until <= $3 \
             RETURNING owner",
        )
        .bind(channel.as_str())
        .bind(owner)
        .bind(time(clock))
        .bind(time(lease_end(clock, length)))
        .fetch_optional(&mut *self.writer().await?)
        .await
        .map_err(db("lease poller"))?;
        Ok(held == Some(owner))
    }
}

#[async_trait]
impl Health for Sqlite {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("ping"))?;
        Ok(())
    }
}

//! Pull channels' poll state on PostgreSQL (a cursor and a poller lease per channel account,
//! each one upsert) and the readiness check.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{Health, PollState, StoreError};
use orderbridge_domain::values::ChannelId;
use uuid::Uuid;

use crate::{Postgres, db};

#[async_trait]
impl PollState for Postgres {
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT cursor FROM poll_cursors WHERE channel = $1")
            .bind(channel.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load poll cursor"))
    }

    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO poll_cursors (channel, cursor, updated_at) VALUES ($1, $2, now()) \
             ON CONFLICT (channel) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
        )
        .bind(channel.as_str())
        .bind(cursor)
        .execute(&self.pool)
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
        // By the database's clock, for `until - now`.
        let length = (until - now).num_milliseconds().max(0);
        let held: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO poller_leases (channel, owner, lease_until) \
             VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond') \
             ON CONFLICT (channel) DO UPDATE SET owner = EXCLUDED.owner, \
             lease_until = EXCLUDED.lease_until \
             WHERE poller_leases.owner = EXCLUDED.owner \
                OR poller_leases.lease_until <= clock_timestamp() \
             RETURNING owner",
        )
        .bind(channel.as_str())
        .bind(owner)
        .bind(length)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("lease poller"))?;
        Ok(held == Some(owner))
    }
}

#[async_trait]
impl Health for Postgres {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("ping"))?;
        Ok(())
    }
}

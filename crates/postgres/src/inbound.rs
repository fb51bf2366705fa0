//! The inbound quarantine on PostgreSQL: one row per body and channel while rejected, counted
//! again when it arrives again (an upsert on the partial unique index), alerts queued in the
//! same transaction. Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's
//! constants only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use orderbridge_domain::ports::store::{InboundError, InboundLog, StoreError};
use orderbridge_domain::values::{InboundId, OrderId};
use orderbridge_rows::inbound::{INBOUND_COLUMNS, digest, inbound, not_open};

use crate::channels::insert_alerts;
use crate::row::Row;
use crate::store::commit;
use crate::{Postgres, db};

impl Postgres {
    async fn state_of(&self, id: InboundId) -> Result<Option<InboundState>, StoreError> {
        Ok(self.inbound(id).await?.map(|e| e.state))
    }
}

#[async_trait]
impl InboundLog for Postgres {
    async fn quarantine(
        &self,
        entry: &NewInbound,
        alerts: &[Alert],
    ) -> Result<(Inbound, bool), StoreError> {
        let sql = format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound \
             WHERE channel = $1 AND digest = $2 AND state = 'discarded' \
             ORDER BY seq DESC LIMIT 1"
        );
        let discarded = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entry.channel.as_str())
            .bind(digest(&entry.body))
            .fetch_optional(&self.pool)
            .await
            .map_err(db("look for a discarded inbound body"))?;
        if let Some(row) = discarded {
            return Ok((inbound(&Row(row))?, false));
        }
        let sql = format!(
            "INSERT INTO inbound (id, channel, external_id, body, digest, error, state, \
               first_seen_at, last_seen_at, seen) \
             VALUES ($1, $2, $3, $4, $5, $6, 'rejected', $7, $7, 1) \
             ON CONFLICT (channel, digest) WHERE state = 'rejected' DO UPDATE SET \
               seen = inbound.seen + 1, last_seen_at = EXCLUDED.last_seen_at, \
               error = EXCLUDED.error \
             RETURNING {INBOUND_COLUMNS}, (xmax = 0) AS created"
        );
        let mut tx = self.begin().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entry.id.as_uuid())
            .bind(entry.channel.as_str())
            .bind(entry.external_id.as_deref())
            .bind(&entry.body)
            .bind(digest(&entry.body))
            .bind(&entry.error)
            .bind(entry.at)
            .fetch_one(&mut *tx)
            .await
            .map_err(db("quarantine an inbound body"))?;
        let row = Row(row);
        let created = orderbridge_rows::Columns::flag(&row, "created")?;
        let stored = inbound(&row)?;
        if created {
            let alerts: Vec<&Alert> = alerts.iter().collect();
            insert_alerts(&mut tx, &alerts).await?;
        }
        commit(tx).await?;
        Ok((stored, created))
    }

    async fn inbound(&self, id: InboundId) -> Result<Option<Inbound>, StoreError> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db("load an inbound entry"))?
            .map(|row| inbound(&Row(row)))
            .transpose()
    }

    async fn inbound_list(&self, query: &InboundQuery) -> Result<Vec<Inbound>, StoreError> {
        let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound WHERE true"
        ));
        if let Some(state) = query.state {
            sql.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(after) = query.after {
            sql.push(" AND seq < (SELECT seq FROM inbound WHERE id = ")
                .push_bind(after.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, 1_000)));
        sql.build()
            .fetch_all(&self.pool)
            .await
            .map_err(db("list inbound entries"))?
            .into_iter()
            .map(|row| inbound(&Row(row)))
            .collect()
    }

    async fn close_inbound(
        &self,
        id: InboundId,
        state: InboundState,
        order_id: Option<OrderId>,
        at: DateTime<Utc>,
    ) -> Result<Inbound, InboundError> {
        let sql = format!(
            "UPDATE inbound SET state = $2, order_id = $3, closed_at = $4 \
             WHERE id = $1 AND state = 'rejected' RETURNING {INBOUND_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(state.as_str())
            .bind(order_id.map(|o| o.as_uuid()))
            .bind(at)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("close an inbound entry"))?;
        match row {
            Some(row) => Ok(inbound(&Row(row))?),
            None => Err(not_open(id, self.state_of(id).await?)),
        }
    }

    async fn retried_inbound(&self, id: InboundId, error: &str) -> Result<Inbound, InboundError> {
        let sql = format!(
            "UPDATE inbound SET error = $2 WHERE id = $1 AND state = 'rejected' \
             RETURNING {INBOUND_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(error)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("note a failed replay"))?;
        match row {
            Some(row) => Ok(inbound(&Row(row))?),
            None => Err(not_open(id, self.state_of(id).await?)),
        }
    }
}

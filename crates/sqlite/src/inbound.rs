//! The inbound quarantine on SQLite: one row per body and channel while rejected, counted again
//! when it arrives again (an upsert on the partial unique index), alerts queued in the same
//! transaction on the one writer connection. Dynamic SQL here is assembled from this module's
//! constants and `?` placeholders only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use orderbridge_domain::ports::store::{InboundError, InboundLog, StoreError};
use orderbridge_domain::values::{InboundId, OrderId};
use orderbridge_rows::inbound::{INBOUND_COLUMNS, digest, inbound, not_open};
use sqlx::QueryBuilder;

use crate::channels::insert_alerts;
use crate::codec::time;
use crate::row::Row;
use crate::store::commit;
use crate::{Sqlite, db};

impl Sqlite {
    async fn state_of(&self, id: InboundId) -> Result<Option<InboundState>, StoreError> {
        Ok(self.inbound(id).await?.map(|e| e.state))
    }
}

#[async_trait]
impl InboundLog for Sqlite {
    async fn quarantine(
        &self,
        entry: &NewInbound,
        alerts: &[Alert],
    ) -> Result<(Inbound, bool), StoreError> {
        let key = digest(&entry.body);
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound \
             WHERE channel = $1 AND digest = $2 AND state = 'discarded' \
             ORDER BY seq DESC LIMIT 1"
        );
        let discarded = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entry.channel.as_str())
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("look for a discarded inbound body"))?;
        if let Some(row) = discarded {
            let stored = inbound(&Row(row))?;
            commit(tx).await?;
            return Ok((stored, false));
        }
        let counted = sqlx::query(
            "UPDATE inbound SET seen = seen + 1, last_seen_at = $3, error = $4 \
             WHERE channel = $1 AND digest = $2 AND state = 'rejected'",
        )
        .bind(entry.channel.as_str())
        .bind(&key)
        .bind(time(entry.at))
        .bind(&entry.error)
        .execute(&mut *tx)
        .await
        .map_err(db("count an inbound body again"))?
        .rows_affected()
            > 0;
        if !counted {
            sqlx::query(
                "INSERT INTO inbound (id, channel, external_id, body, digest, error, state, \
                   first_seen_at, last_seen_at, seen) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'rejected', $7, $7, 1)",
            )
            .bind(entry.id.as_uuid())
            .bind(entry.channel.as_str())
            .bind(entry.external_id.as_deref())
            .bind(&entry.body)
            .bind(&key)
            .bind(&entry.error)
            .bind(time(entry.at))
            .execute(&mut *tx)
            .await
            .map_err(db("quarantine an inbound body"))?;
            insert_alerts(&mut tx, alerts).await?;
        }
        let sql = format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound \
             WHERE channel = $1 AND digest = $2 AND state = 'rejected'"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entry.channel.as_str())
            .bind(&key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db("load a quarantined body"))?;
        let stored = inbound(&Row(row))?;
        commit(tx).await?;
        Ok((stored, !counted))
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
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
        sql.push(INBOUND_COLUMNS).push(" FROM inbound WHERE true");
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
        let rows = sql
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db("list inbound entries"))?;
        rows.into_iter().map(|row| inbound(&Row(row))).collect()
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
            .bind(time(at))
            .fetch_optional(&mut *self.writer().await?)
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
            .fetch_optional(&mut *self.writer().await?)
            .await
            .map_err(db("note a failed replay"))?;
        match row {
            Some(row) => Ok(inbound(&Row(row))?),
            None => Err(not_open(id, self.state_of(id).await?)),
        }
    }
}

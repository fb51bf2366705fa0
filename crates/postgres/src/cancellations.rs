//! Early marketplace cancellations on PostgreSQL: the port is written once in
//! `orderbridge_rows::cancellations`; here are its statements (a kept cancellation replaced
//! by an upsert) and the single-statement runner it uses.

use async_trait::async_trait;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::cancellations::CancellationSql;
use orderbridge_rows::impl_early_cancellations;
use orderbridge_rows::statement::{Arg, Statements};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

use crate::row::Row;
use crate::{Postgres, db};

impl CancellationSql for Postgres {
    const KEEP: &'static str = "INSERT INTO marketplace_cancellations (channel, external_id, \
         reason, note, cancelled_at, received_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (channel, external_id) DO UPDATE SET reason = EXCLUDED.reason, \
           note = EXCLUDED.note, cancelled_at = EXCLUDED.cancelled_at, \
           received_at = EXCLUDED.received_at";
    const KEPT: &'static str = "SELECT reason, note, cancelled_at FROM marketplace_cancellations \
         WHERE channel = $1 AND external_id = $2";
    const FORGET: &'static str =
        "DELETE FROM marketplace_cancellations WHERE channel = $1 AND external_id = $2";
}

impl_early_cancellations!(Postgres);

/// `sql` with `args` bound in order, every one in its native type.
fn bound<'q>(sql: &'static str, args: &[Arg<'q>]) -> Query<'q, sqlx::Postgres, PgArguments> {
    args.iter().fold(sqlx::query(sql), |query, arg| match *arg {
        Arg::Text(text) => query.bind(text),
        Arg::OptText(text) => query.bind(text),
        Arg::Time(at) => query.bind(at),
    })
}

#[async_trait]
impl Statements for Postgres {
    type Row = Row;

    async fn write(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        what: &'static str,
    ) -> Result<u64, StoreError> {
        let done = bound(sql, args)
            .execute(&self.pool)
            .await
            .map_err(db(what))?;
        Ok(done.rows_affected())
    }

    async fn read_optional(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        what: &'static str,
    ) -> Result<Option<Row>, StoreError> {
        let row = bound(sql, args)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(what))?;
        Ok(row.map(Row))
    }
}

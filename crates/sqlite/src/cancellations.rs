//! Early marketplace cancellations on SQLite: the port is written once in
//! `orderbridge_rows::cancellations`; here are its statements (a kept cancellation replaced
//! whole by `INSERT OR REPLACE`: the row is the key and what was said) and the
//! single-statement runner it uses, writing through the one writer connection.

use async_trait::async_trait;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::cancellations::CancellationSql;
use orderbridge_rows::impl_early_cancellations;
use orderbridge_rows::statement::{Arg, Statements};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;

use crate::codec::time;
use crate::row::Row;
use crate::{Sqlite, db};

impl CancellationSql for Sqlite {
    const KEEP: &'static str = "INSERT OR REPLACE INTO marketplace_cancellations (channel, \
         external_id, reason, note, cancelled_at, received_at) VALUES ($1, $2, $3, $4, $5, $6)";
    const KEPT: &'static str = "SELECT reason, note, cancelled_at FROM marketplace_cancellations \
         WHERE channel = $1 AND external_id = $2";
    const FORGET: &'static str =
        "DELETE FROM marketplace_cancellations WHERE channel = $1 AND external_id = $2";
}

impl_early_cancellations!(Sqlite);

/// `sql` with `args` bound in order, times as the store's text.
fn bound<'q>(sql: &'static str, args: &[Arg<'q>]) -> Query<'q, sqlx::Sqlite, SqliteArguments> {
    args.iter().fold(sqlx::query(sql), |query, arg| match *arg {
        Arg::Text(text) => query.bind(text),
        Arg::OptText(text) => query.bind(text),
        Arg::Time(at) => query.bind(time(at)),
    })
}

#[async_trait]
impl Statements for Sqlite {
    type Row = Row;

    async fn write(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        what: &'static str,
    ) -> Result<u64, StoreError> {
        let done = bound(sql, args)
            .execute(&mut *self.writer().await?)
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

//! A PostgreSQL row as the shared row mapping reads it: every column in its native type.

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::Columns;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::Row as _;
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// One row of a query's result.
#[derive(Debug)]
pub struct Row(pub(crate) PgRow);

impl Row {
    fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
        &'r self,
        column: &str,
    ) -> Result<T, StoreError> {
        self.0
            .try_get(column)
            .map_err(|e| StoreError::with_source(format!("cannot read column {column}"), e))
    }
}

impl Columns for Row {
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        self.get(column)
    }
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        self.get(column)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.get(column)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i32>, StoreError> {
        self.get(column)
    }
    fn big(&self, column: &str) -> Result<i64, StoreError> {
        self.get(column)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        self.get(column)
    }
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.get(column)
    }
    fn opt_money(&self, column: &str) -> Result<Option<Decimal>, StoreError> {
        self.get(column)
    }
    fn opt_json(&self, column: &str) -> Result<Option<Value>, StoreError> {
        self.get(column)
    }
}

/// Wraps each row of a result.
pub(crate) fn rows(rows: Vec<PgRow>) -> Vec<Row> {
    rows.into_iter().map(Row).collect()
}

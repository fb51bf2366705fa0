//! A SQLite row as the shared row mapping reads it. SQLite has no time, decimal or JSON types:
//! times and amounts are text in one form each ([`crate::codec`]), the address is JSON text.

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::Columns;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::codec::{parse_money, parse_time};

/// One row of a query's result.
#[derive(Debug)]
pub struct Row(pub(crate) SqliteRow);

impl Row {
    pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
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
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_text(column)?
            .map(|t| parse_time(&t, column))
            .transpose()
    }
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        self.get(column)
    }
    fn opt_money(&self, column: &str) -> Result<Option<Decimal>, StoreError> {
        self.opt_text(column)?
            .map(|m| parse_money(&m, column))
            .transpose()
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.get(column)
    }
    fn opt_json(&self, column: &str) -> Result<Option<Value>, StoreError> {
        self.opt_text(column)?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::with_source(format!("corrupt JSON in column {column}"), e)
                })
            })
            .transpose()
    }
    fn opt_int(&self, column: &str) -> Result<Option<i32>, StoreError> {
        self.get(column)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        self.get(column)
    }
    fn big(&self, column: &str) -> Result<i64, StoreError> {
        self.get(column)
    }
}

/// Wraps each row of a result.
pub(crate) fn rows(rows: Vec<SqliteRow>) -> Vec<Row> {
    rows.into_iter().map(Row).collect()
}

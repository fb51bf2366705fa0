//! [`Columns`]: how the shared mapping reads one column of a stored row.

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::StoreError;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

/// One stored row, read column by column in the store's own column types. A store implements
/// the nullable readers; the others follow from them and report a NULL as a corrupt row.
///
/// # Errors
/// Every reader returns [`StoreError`] when the column is missing, of another type, or holds a
/// value that does not parse (a time or an amount kept as text, say).
pub trait Columns {
    /// A UUID column that may be NULL.
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError>;
    /// A text column that may be NULL.
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// A 32-bit integer column that may be NULL.
    fn opt_int(&self, column: &str) -> Result<Option<i32>, StoreError>;
    /// A 64-bit integer column.
    fn big(&self, column: &str) -> Result<i64, StoreError>;
    /// A boolean column.
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
    /// A time column that may be NULL.
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// An amount column that may be NULL.
    fn opt_money(&self, column: &str) -> Result<Option<Decimal>, StoreError>;
    /// A JSON document column that may be NULL.
    fn opt_json(&self, column: &str) -> Result<Option<Value>, StoreError>;
    /// Bytes as stored.
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError>;

    /// A UUID column.
    fn uuid(&self, column: &str) -> Result<Uuid, StoreError> {
        self.opt_uuid(column)?.ok_or_else(|| null(column))
    }
    /// A text column.
    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?.ok_or_else(|| null(column))
    }
    /// A 32-bit integer column.
    fn int(&self, column: &str) -> Result<i32, StoreError> {
        self.opt_int(column)?.ok_or_else(|| null(column))
    }
    /// A time column.
    fn time(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        self.opt_time(column)?.ok_or_else(|| null(column))
    }
    /// An amount column.
    fn money(&self, column: &str) -> Result<Decimal, StoreError> {
        self.opt_money(column)?.ok_or_else(|| null(column))
    }
}

fn null(column: &str) -> StoreError {
    StoreError::msg(format!("corrupt row: column {column} is NULL"))
}

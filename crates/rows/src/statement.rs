//! One statement run on its own (no transaction of the caller's), with its values in the
//! domain's types: the seam through which a port written once in this crate runs a store's
//! own SQL. Each store encodes the values its way (SQLite keeps time as text).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::StoreError;

use crate::columns::Columns;

/// A value bound to a statement's next placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// A time.
    Time(DateTime<Utc>),
}

/// Runs single statements of the store's SQL on its connections.
#[async_trait]
pub trait Statements: Send + Sync {
    /// A row as the store returns it.
    type Row: Columns + Send;

    /// Runs a statement that writes, with `args` bound in order; the rows it changed. `what`
    /// names it in an error.
    ///
    /// # Errors
    /// [`StoreError`] for storage failures.
    async fn write(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        what: &'static str,
    ) -> Result<u64, StoreError>;

    /// Runs a query, with `args` bound in order; its first row, if any.
    ///
    /// # Errors
    /// [`StoreError`] for storage failures.
    async fn read_optional(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        what: &'static str,
    ) -> Result<Option<Self::Row>, StoreError>;
}

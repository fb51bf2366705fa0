//! The storage ports on PostgreSQL: the production store, shared by several orderbridge instances.
//!
//! Every change to an order commits in one transaction with its history entries and outbox rows.
//! Concurrent writers are serialised by the order's version column (optimistic concurrency);
//! dispatchers claim outbox rows with `FOR UPDATE SKIP LOCKED` and a lease.

mod cancellations;
mod channels;
mod deadlines;
mod inbound;
mod log;
mod poll;
mod queue;
mod read;
mod retention;
mod row;
mod store;
mod write;

use std::str::FromStr;
use std::time::Duration;

use orderbridge_domain::ports::store::StoreError;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The schema migrations, embedded; `Postgres::migrate` applies them.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct Postgres {
    pool: PgPool,
}

impl Postgres {
    /// Connects a pool of at most `max_connections` to `url`.
    ///
    /// Every connection runs with JIT compilation off: the service's statements are short
    /// key lookups and writes, and without statistics (a young database, or autovacuum off)
    /// the planner's estimates for a batch of orders passed `jit_above_cost`, so PostgreSQL
    /// spent 47 ms compiling a query that runs in under 1 ms (the benchmark's delivery phase).
    ///
    /// # Errors
    /// [`StoreError`] when the URL is malformed or the server does not answer.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::with_source("the PostgreSQL URL is malformed", e))?
            .options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::with_source("cannot connect to PostgreSQL", e))?;
        Ok(Self { pool })
    }

    /// Wraps an existing pool (tests).
    #[must_use]
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::with_source("migration failed", e))
    }

    /// The pool, for benchmarks that measure the storage limit.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Wraps a sqlx error with what was being done.
pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::with_source(what, e)
}

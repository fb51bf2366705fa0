//! The storage ports on PostgreSQL: the production store, shared by several orderbridge instances.
//!
//! Every change to an order commits in one transaction with its history entries and outbox rows.
//! Concurrent writers are serialised by the order's version column (optimistic concurrency);
//! dispatchers claim outbox rows with `FOR UPDATE SKIP LOCKED` and a lease.

mod batch;
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
mod wake;
mod webhook_ids;
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
    wake: wake::Wake,
}

impl Postgres {
    /// Connects a pool of at most `max_connections` to `url`, each connection's statements cut
    /// off after `statement_timeout` (zero: never).
    ///
    /// Every connection runs with JIT compilation off: the service's statements are short
    /// key lookups and writes, and without statistics (a young database, or autovacuum off)
    /// the planner's estimates for a batch of orders passed `jit_above_cost`, so PostgreSQL
    /// spent 47 ms compiling a query that runs in under 1 ms (the benchmark's delivery phase).
    /// Both are startup parameters of the connection (`options=-c ...`), so they hold on every
    /// pooled connection, including one opened again after the server restarted.
    ///
    /// # Errors
    /// [`StoreError`] when the URL is malformed or the server does not answer.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        statement_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let timeout_ms = statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::with_source("the PostgreSQL URL is malformed", e))?
            .options([("jit", "off"), ("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db("cannot connect to PostgreSQL"))?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps an existing pool (tests).
    #[must_use]
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            pool,
            wake: wake::Wake::default(),
        }
    }

    /// Applies pending migrations, on a connection of its own without a statement timeout (a
    /// migration over a large table may take longer than any statement of the service): the
    /// pool's connect options with `statement_timeout=0` last, which wins over an earlier one.
    ///
    /// # Errors
    /// [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let options = (*self.pool.connect_options())
            .clone()
            .options([("statement_timeout", "0")]);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::with_source("cannot connect to PostgreSQL to migrate", e))?;
        let migrated = MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::with_source("migration failed", e));
        pool.close().await;
        migrated
    }

    /// The pool, for benchmarks that measure the storage limit.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Wraps a sqlx error with what was being done; one that means PostgreSQL cannot be reached
/// for now is [`StoreError::unavailable`] (503 with `Retry-After`, not 500).
pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if unreachable(&e) {
            StoreError::unavailable(what, e)
        } else {
            StoreError::with_source(what, e)
        }
    }
}

/// Whether `error` means PostgreSQL cannot be reached for now: IO and TLS failures, the pool
/// timing out or closed, and the SQLSTATE classes 08 (connection exception), 53 (insufficient
/// resources: too many connections, disk full), 57 (operator intervention: shutting down,
/// starting up, statement cancelled by a timeout).
fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|code| ["08", "53", "57"].iter().any(|c| code.starts_with(c))),
        _ => false,
    }
}

//! The storage ports on SQLite: the embedded default store, so that `orderbridge serve` runs with no
//! database server installed.
//!
//! It behaves as the PostgreSQL store does (the same contract suite runs against both) with the
//! same tables and columns. Where SQLite differs:
//! - SQLite allows one writer at a time. Writes go through a pool of one connection, so they
//!   queue in order inside the process instead of polling SQLite's lock (which is unfair: a
//!   waiting writer sleeps and retries, and under load waits hundreds of milliseconds). Reads use
//!   a separate pool and run side by side with the writer (WAL).
//! - Every write transaction starts with `BEGIN IMMEDIATE`, which takes the write lock at once,
//!   so a transaction never fails upgrading a read lock (`SQLITE_BUSY`) and versioned saves and
//!   outbox claims run one after another, also against another process on the same file
//!   (which waits up to the busy timeout for the lock: `database.statement_timeout_ms` in the
//!   service, 5 s by default here).
//! - There is no `FOR UPDATE SKIP LOCKED`: a claim selects and leases its rows in one
//!   `BEGIN IMMEDIATE` transaction. Safe for any number of workers sharing one database file on
//!   one machine, which is what an embedded store is for.
//! - Money is stored as decimal text and time as fixed-width UTC text (see the migration), since
//!   SQLite has neither a decimal nor a timestamp type. Times keep whole microseconds.
//! - Reads of a whole order run in one read transaction, so they see one snapshot.
//! - `secure_delete` is on: erased personal data is overwritten in the file, not only
//!   unlinked from its rows (the WAL keeps older page images until it is checkpointed and
//!   rewritten).
//!
//! Use a file: an in-memory database (`:memory:`) would be a different database on every pooled
//! connection.

mod cancellations;
mod channels;
mod codec;
mod deadlines;
mod inbound;
mod log;
mod poll;
mod queue;
mod read;
mod retention;
mod row;
mod store;
mod webhook_ids;
mod write;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::store::{OnQueued, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The schema migrations, embedded; `Sqlite::migrate` applies them.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections of the read pool. Readers run side by side (WAL).
const READ_CONNECTIONS: u32 = 8;

/// How long a connection waits for SQLite's write lock when another process holds it, unless
/// told otherwise ([`Sqlite::open_with_busy_timeout`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an operation waits for a pooled connection (writes queue here).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct Sqlite {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection, so writers queue in order.
    writer: SqlitePool,
    /// The file of a [`Sqlite::temporary`] store, deleted with the last clone (after the pools,
    /// which are declared first and so dropped first).
    temporary: Option<Arc<TemporaryFile>>,
    /// Told after each commit with outbox rows (one process: no other instance to wake).
    on_queued: Option<OnQueued>,
}

impl Sqlite {
    /// Opens the database at `path_or_url`, a file path or a `sqlite:` URL, creating the file if
    /// it is missing. Does not migrate: call [`Sqlite::migrate`].
    ///
    /// The connections use WAL journaling, `synchronous = NORMAL`, foreign keys and a busy
    /// timeout of 5 s (see [`Sqlite::open_with_busy_timeout`]).
    ///
    /// # Errors
    /// [`StoreError`] when the URL is malformed or the file cannot be opened or created.
    pub async fn open(path_or_url: &str) -> Result<Self, StoreError> {
        Self::open_with_busy_timeout(path_or_url, BUSY_TIMEOUT).await
    }

    /// As [`Sqlite::open`], with `busy_timeout` as the time a statement waits for another
    /// process's write lock before it fails. SQLite has no statement timeout: a statement of
    /// this process runs to its end; this is the nearest bound (`database.statement_timeout_ms`
    /// sets it). Within one process, writers queue for the one writer connection instead.
    ///
    /// # Errors
    /// As [`Sqlite::open`].
    pub async fn open_with_busy_timeout(
        path_or_url: &str,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let options = if path_or_url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(path_or_url)
                .map_err(|e| StoreError::with_source("malformed SQLite URL", e))?
        } else {
            SqliteConnectOptions::new().filename(path_or_url)
        };
        Self::with_options(options.busy_timeout(busy_timeout), None).await
    }

    /// Opens a fresh database in a new file under the system's temporary directory (tests).
    /// The file is deleted when the last clone of the store is dropped. Does not migrate.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be created.
    pub async fn temporary() -> Result<Self, StoreError> {
        let name = format!("orderbridge-{}.sqlite3", uuid::Uuid::now_v7());
        let file = Arc::new(TemporaryFile {
            path: std::env::temp_dir().join(name),
        });
        let options = SqliteConnectOptions::new()
            .filename(&file.path)
            .busy_timeout(BUSY_TIMEOUT);
        Self::with_options(options, Some(file)).await
    }

    async fn with_options(
        options: SqliteConnectOptions,
        temporary: Option<Arc<TemporaryFile>>,
    ) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // What a write removes or shrinks (personal data erased under `retention.days`
            // among it) is overwritten with zeros in the file, not left in free space.
            .pragma("secure_delete", "on");
        // The writer first: it creates the file and switches it to WAL.
        let writer = pool(options.clone(), 1).await?;
        let pool = pool(options, READ_CONNECTIONS).await?;
        Ok(Self {
            pool,
            writer,
            temporary,
            on_queued: None,
        })
    }

    /// Wraps an existing pool, used for reads and writes alike. Its connections should be set
    /// up as [`Sqlite::open`] sets them up. Writers then contend for SQLite's lock through the
    /// busy timeout instead of queueing for the one writer connection.
    #[must_use]
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self {
            writer: pool.clone(),
            pool,
            temporary: None,
            on_queued: None,
        }
    }

    /// The store telling `on_queued` after each commit with outbox rows, so that the
    /// dispatcher looks at once rather than at its next poll.
    #[must_use]
    pub fn with_on_queued(mut self, on_queued: OnQueued) -> Self {
        self.on_queued = Some(on_queued);
        self
    }

    /// Tells whoever waits for queued deliveries.
    pub(crate) fn signal_queued(&self) {
        if let Some(on_queued) = &self.on_queued {
            on_queued.signal();
        }
    }

    /// Applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::with_source("migration failed", e))
    }

    /// The read pool, for benchmarks that measure the storage limit.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The write pool (one connection), for benchmarks that measure the storage limit.
    #[must_use]
    pub fn write_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// The database file of a [`Sqlite::temporary`] store.
    #[must_use]
    pub fn temporary_path(&self) -> Option<&Path> {
        self.temporary.as_deref().map(|t| t.path.as_path())
    }
}

async fn pool(
    options: SqliteConnectOptions,
    max_connections: u32,
) -> Result<SqlitePool, StoreError> {
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(db("cannot open SQLite database"))
}

/// A database file that is deleted, with its WAL and shared-memory files, on drop.
#[derive(Debug)]
struct TemporaryFile {
    path: PathBuf,
}

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        // Best effort: pooled connections may still be closing; on Unix they keep the unlinked
        // files open until they are done.
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ignored = std::fs::remove_file(name);
        }
    }
}

/// Wraps a sqlx error with what was being done; one that means the database file cannot be
/// used for now is [`StoreError::unavailable`] (503 with `Retry-After`, not 500).
pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if unreachable(&e) {
            StoreError::unavailable(what, e)
        } else {
            StoreError::with_source(what, e)
        }
    }
}

/// Whether `error` means the database cannot be used for now: IO failures, the pool timing out
/// or closed, and SQLite's primary codes BUSY (5), LOCKED (6), IOERR (10), FULL (13) and
/// CANTOPEN (14), extended codes included.
fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .and_then(|code| code.parse::<u32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 13 | 14)),
        _ => false,
    }
}

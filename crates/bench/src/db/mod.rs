//! The benchmark's own database, on either store: a fresh PostgreSQL database on
//! `DATABASE_URL`'s server (`postgres`) or a fresh SQLite file (`sqlite`), with the few
//! queries the phases make of it beside the service (counting, finding ids, bulk-loading,
//! putting delivered rows back in the queue).

mod postgres;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use orderbridge_domain::ports::store::Store;
use orderbridge_postgres::Postgres;
use orderbridge_sqlite::Sqlite;
use sqlx::PgPool;

pub use postgres::{BenchDb, ServerInfo, server_info};

/// Which store a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// PostgreSQL, on `DATABASE_URL`'s server.
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

impl StoreKind {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// The bench's database and the baselines' store on it.
#[derive(Debug)]
pub enum Db {
    /// A PostgreSQL database of its own, with a small pool for the bench's queries.
    Postgres {
        /// The database (dropped at the end).
        db: BenchDb,
        /// The bench's queries.
        pool: PgPool,
        /// The baselines' store.
        store: Arc<Postgres>,
    },
    /// A SQLite file of its own.
    Sqlite {
        /// The file (removed at the end).
        file: sqlite::BenchFile,
        /// The baselines' store; the bench's queries use its pools.
        store: Arc<Sqlite>,
    },
}

impl Db {
    /// Creates and migrates the database of `kind` (a PostgreSQL one on the server of
    /// `admin_url`, a SQLite one under `dir`) and connects the baselines' store with `pool`
    /// connections.
    pub async fn create(kind: StoreKind, admin_url: &str, dir: &Path, pool: u32) -> Result<Self> {
        match kind {
            StoreKind::Postgres => {
                let db = BenchDb::create(admin_url).await?;
                let bench_pool = db.pool(4).await?;
                orderbridge_postgres::MIGRATOR
                    .run(&bench_pool)
                    .await
                    .context("migrating the bench database")?;
                let store = Arc::new(
                    // The service's default statement timeout (`database.statement_timeout_ms`).
                    Postgres::connect(db.url(), pool, std::time::Duration::from_secs(30))
                        .await
                        .context("connecting the baseline store")?,
                );
                Ok(Self::Postgres {
                    db,
                    pool: bench_pool,
                    store,
                })
            }
            StoreKind::Sqlite => {
                let file = sqlite::BenchFile::create(dir)?;
                let store = sqlite::open(&file).await?;
                Ok(Self::Sqlite { file, store })
            }
        }
    }

    /// Its name (the PostgreSQL database's, whose server processes count as the service's
    /// work; the SQLite file's directory otherwise).
    pub fn name(&self) -> String {
        match self {
            Self::Postgres { db, .. } => db.name().to_owned(),
            Self::Sqlite { file, .. } => file.path().display().to_string(),
        }
    }

    /// The baselines' store.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Postgres { store, .. } => Arc::clone(store) as Arc<dyn Store>,
            Self::Sqlite { store, .. } => Arc::clone(store) as Arc<dyn Store>,
        }
    }

    /// The service's settings that point it at this database.
    pub fn service_env(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Postgres { db, .. } => vec![("DATABASE_URL", db.url().to_owned())],
            Self::Sqlite { file, .. } => vec![(
                "ORDERBRIDGE_DATABASE_SQLITE_PATH",
                file.path().display().to_string(),
            )],
        }
    }

    /// The PostgreSQL pool of the bench's queries (phases that only PostgreSQL runs).
    pub fn pg_pool(&self) -> Result<&PgPool> {
        match self {
            Self::Postgres { pool, .. } => Ok(pool),
            Self::Sqlite { .. } => anyhow::bail!("this phase runs on PostgreSQL only"),
        }
    }

    /// Orders stored.
    pub async fn order_count(&self) -> Result<i64> {
        match self {
            Self::Postgres { pool, .. } => postgres::order_count(pool).await,
            Self::Sqlite { store, .. } => sqlite::order_count(store).await,
        }
    }

    /// Deliveries not yet delivered.
    pub async fn undelivered(&self) -> Result<i64> {
        match self {
            Self::Postgres { pool, .. } => postgres::undelivered(pool).await,
            Self::Sqlite { store, .. } => sqlite::undelivered(store).await,
        }
    }

    /// Deliveries waiting to be sent.
    pub async fn pending(&self) -> Result<i64> {
        match self {
            Self::Postgres { pool, .. } => postgres::pending(pool).await,
            Self::Sqlite { store, .. } => sqlite::pending(store).await,
        }
    }

    /// orderbridge's ids of the orders of `channel` with these external ids, in the order
    /// given.
    pub async fn order_ids(
        &self,
        channel: &str,
        external_ids: &[String],
    ) -> Result<Vec<uuid::Uuid>> {
        let pairs = match self {
            Self::Postgres { pool, .. } => postgres::order_ids(pool, channel, external_ids).await,
            Self::Sqlite { store, .. } => sqlite::order_ids(store, channel, external_ids).await,
        }?;
        let ids: std::collections::HashMap<String, uuid::Uuid> = pairs.into_iter().collect();
        external_ids
            .iter()
            .map(|external| {
                ids.get(external)
                    .copied()
                    .with_context(|| format!("order {external} is not stored"))
            })
            .collect()
    }

    /// Puts `count` delivered fulfillments back in the queue, due now, as if never sent.
    pub async fn requeue_delivered(&self, count: usize) -> Result<u64> {
        match self {
            Self::Postgres { pool, .. } => postgres::requeue_delivered(pool, count).await,
            Self::Sqlite { store, .. } => sqlite::requeue_delivered(store, count).await,
        }
    }

    /// Stores `count` orders with their lines, shipments and history, placed over the days
    /// before `now_ms`. Returns the orders stored in all.
    pub async fn bulk_load(&self, count: u64, now_ms: i64) -> Result<i64> {
        match self {
            Self::Postgres { pool, .. } => postgres::bulk_load(pool, count, now_ms).await,
            Self::Sqlite { store, .. } => sqlite::bulk_load(store, count, now_ms).await,
        }
    }

    /// Closes the connections and drops the database.
    pub async fn finish(self) -> Result<()> {
        match self {
            Self::Postgres { db, pool, store } => {
                pool.close().await;
                store.pool().close().await;
                db.drop_now().await
            }
            Self::Sqlite { file, store } => {
                store.pool().close().await;
                store.write_pool().close().await;
                drop(file);
                Ok(())
            }
        }
    }
}

//! How the store begins its transactions (each kind with the planner settings its statements
//! need), and the orders port on them through the shared procedures of `orderbridge-rows`.

use async_trait::async_trait;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::store::Transactions;

use crate::{Postgres, db};

impl Postgres {
    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db("begin transaction"))
    }

    /// A transaction in which the planner may not sort, bitmap-scan, hash-join or merge-join:
    /// see [`PLAN_ROBUST`].
    pub(crate) async fn begin_plan_robust(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin_with(PLAN_ROBUST)
            .await
            .map_err(db("begin transaction"))
    }

    /// A read-only transaction for loading orders: one snapshot for the several queries an
    /// order takes (its row, lines, shipments, cancellations, refunds, history), and, as in
    /// [`PLAN_ROBUST`], no plan that reads a whole table. Loading by key must probe indexes;
    /// without statistics the planner took a sequential scan of `fulfillments` for a single
    /// order, whose cost grew with every shipment stored (the benchmark's fulfillment phase
    /// slowed to half the storage limit's rate within its first round).
    async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin_with(SNAPSHOT)
            .await
            .map_err(db("begin transaction"))
    }
}

/// How the dispatcher's statements begin their transaction. The claim must walk the due
/// index in order and stop at its limit; recording outcomes must probe the outbox's id index
/// once per outcome. Without statistics (a new or freshly emptied outbox, before
/// autovacuum's first ANALYZE) the planner guesses one row and picks a bitmap scan, an
/// anti-join of every due row and a sort for the claim (28 ms rather than 2 ms with 3,600
/// rows due, and growing with the backlog), or hash joins over the whole outbox. Forbidding
/// those plans for these transactions keeps their cost independent of the statistics
/// (found by the benchmark's delivery phase; see BENCHMARKS.md). A plan that must still sort
/// (the history entries, in the order given) is then costed far above `jit_above_cost`; JIT
/// is off on every connection (see [`crate::Postgres::connect`]).
pub(crate) const PLAN_ROBUST: &str = "BEGIN; SET LOCAL enable_sort = off; \
     SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; \
     SET LOCAL enable_mergejoin = off";

/// How [`Postgres::snapshot`] begins its transaction.
pub(crate) const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
     SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; \
     SET LOCAL enable_mergejoin = off";

pub(crate) async fn commit(
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<(), StoreError> {
    tx.commit().await.map_err(db("commit"))
}

/// One open transaction, with the order statements of [`crate::read`] and [`crate::write`].
#[derive(Debug)]
pub struct Tx(pub(crate) sqlx::Transaction<'static, sqlx::Postgres>);

#[async_trait]
impl Transactions for Postgres {
    type Tx = Tx;

    /// One read-only snapshot: see [`SNAPSHOT`].
    async fn read(&self) -> Result<Tx, StoreError> {
        self.snapshot().await.map(Tx)
    }

    async fn write(&self) -> Result<Tx, StoreError> {
        self.begin().await.map(Tx)
    }

    async fn commit(tx: Tx) -> Result<(), StoreError> {
        commit(tx.0).await
    }

    fn queued(&self) {
        self.signal_queued();
    }
}

orderbridge_rows::impl_order_store!(Postgres);

//! The group commit's figures (issue 17): how many orders each insert transaction held, and
//! ingest against the one-order-per-transaction baseline, which it is meant to pass.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::report::Report;
use crate::report::json::round;
use crate::report::model::Target;

/// Insert transactions of a service process, from its `/metrics` summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Batches {
    /// Transactions.
    pub count: u64,
    /// Orders in them.
    pub orders: u64,
    /// Median orders a transaction.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Batches {
    /// Orders a transaction on average.
    pub fn mean(&self) -> f64 {
        if self.count > 0 {
            self.orders as f64 / self.count as f64
        } else {
            0.0
        }
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "transactions": self.count,
            "orders": self.orders,
            "mean": round(self.mean(), 2),
            "p50": self.p50,
            "p99": self.p99,
            "max": self.max,
        })
    }

    fn cell(&self) -> String {
        format!(
            "{} orders in {} transactions: mean {:.2}, p50 {:.0}, p99 {:.0}, max {:.0}",
            self.orders,
            self.count,
            self.mean(),
            self.p50,
            self.p99,
            self.max
        )
    }
}

impl Report {
    /// The group commit's target: ingest over the one-order-per-transaction baseline.
    pub(super) fn group_targets(&self) -> Vec<Target> {
        let ratio = self.empty.ingest.ratio();
        vec![Target {
            what: "PostgreSQL ingest, service (group commit) / one order per transaction"
                .to_owned(),
            goal: "> 1.0",
            measured: format!("{ratio:.3}"),
            met: ratio > 1.0,
        }]
    }

    /// The batch sizes seen on each store.
    pub(super) fn group_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Group commit (issue 17)\n");
        let _ = writeln!(
            md,
            "New orders that arrive together are stored in one transaction and each webhook \
             is answered after that commit; the baseline stores one order per transaction. \
             The sizes are every insert transaction of the round-1 service (the ingest phase \
             at {} concurrent webhooks, the latency phase and the load curve).\n",
            self.plan.concurrency
        );
        let _ = writeln!(
            md,
            "| store | ingest / baseline | insert transactions |\n|---|---|---|"
        );
        let _ = writeln!(
            md,
            "| PostgreSQL | {:.2} | {} |",
            self.empty.ingest.ratio(),
            self.batches.cell()
        );
        if let Some(sqlite) = &self.sqlite {
            let _ = writeln!(
                md,
                "| SQLite | {:.2} | {} |",
                sqlite.empty.ingest.ratio(),
                sqlite.batches.cell()
            );
        }
        let _ = writeln!(md);
    }
}

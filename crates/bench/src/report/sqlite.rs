//! The embedded default's figures (issue 17): the same ingest, fulfillment, delivery, half-load
//! latency and RSS phases on SQLite, each against SQLite's own baseline (its store's insert
//! and the fulfillment service called in process over it), on a fresh file and with the bulk
//! orders stored; shown beside PostgreSQL's figures of the same run.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::report::json::round;
use crate::report::model::{MIB, Target, peak};
use crate::report::{Delivery, Latency, Report, Throughputs};

/// SQLite's goal for ingest and fulfillment against its baseline.
const BASELINE_GOAL: f64 = 0.8;
/// SQLite's goal with the bulk orders stored against a fresh file.
const KEPT_GOAL: f64 = 0.9;

/// What the SQLite round measured.
#[derive(Debug, Clone, Default)]
pub struct SqliteRun {
    /// Ingest and fulfillment on a fresh file.
    pub empty: Throughputs,
    /// Webhook latency at half the measured ingest rate.
    pub latency: Latency,
    /// Webhook throughput and latency against offered load.
    pub load_curve: Vec<Latency>,
    /// The round-1 service's insert transactions.
    pub batches: super::Batches,
    /// The dispatcher against a bare client.
    pub delivery: Delivery,
    /// Seconds the bulk load took.
    pub bulk_load_secs: f64,
    /// Ingest and fulfillment with the bulk orders stored.
    pub loaded: Throughputs,
    /// Peak RSS of each service process, by name.
    pub rss: Vec<(String, u64)>,
}

impl SqliteRun {
    /// The highest VmHWM of its service processes, bytes.
    pub fn peak_rss(&self) -> u64 {
        peak(&self.rss)
    }

    /// Ingest with the bulk orders stored over ingest on the fresh file (the service).
    pub fn ingest_kept(&self) -> f64 {
        self.loaded.ingest_over(&self.empty)
    }

    /// The same for fulfillment.
    pub fn fulfillment_kept(&self) -> f64 {
        self.loaded.fulfillment_over(&self.empty)
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "empty": self.empty.json(),
            "webhook_latency": {
                "target_per_second": round(self.latency.target_rate, 1),
                "achieved_per_second": round(self.latency.achieved_rate, 1),
                "count": self.latency.count,
                "p50_ms": round(self.latency.p50_ms, 2),
                "p99_ms": round(self.latency.p99_ms, 2),
                "max_ms": round(self.latency.max_ms, 2),
            },
            "load_curve": self.load_curve.iter().map(super::json::curve_point).collect::<Vec<_>>(),
            "insert_batches": self.batches.json(),
            "delivery": self.delivery.json(),
            "peak_rss_bytes": self.peak_rss(),
            "peak_rss_per_process_bytes": self.rss.iter().map(|(name, bytes)| json!({"process": name, "vm_hwm_bytes": bytes})).collect::<Vec<_>>(),
            "bulk_load_seconds": round(self.bulk_load_secs, 1),
            "with_many_orders": self.loaded.json(),
            "with_many_orders_over_empty": {
                "ingest": round(self.ingest_kept(), 3),
                "fulfillment": round(self.fulfillment_kept(), 3),
            },
        })
    }
}

impl Report {
    /// SQLite's targets: ingest and fulfillment against its baseline, and both kept with the
    /// bulk orders stored.
    pub(super) fn sqlite_targets(&self) -> Vec<Target> {
        let Some(run) = &self.sqlite else {
            return Vec::new();
        };
        let many = self.many();
        let against = |what: &str, value: f64, goal: f64, text: &'static str| Target {
            what: what.to_owned(),
            goal: text,
            measured: format!("{value:.3}"),
            met: value >= goal,
        };
        vec![
            against(
                "SQLite ingest, service / SQLite baseline",
                run.empty.ingest.ratio(),
                BASELINE_GOAL,
                ">= 0.8",
            ),
            against(
                "SQLite fulfillment, service / SQLite baseline",
                run.empty.fulfillment.ratio(),
                BASELINE_GOAL,
                ">= 0.8",
            ),
            against(
                &format!("SQLite ingest with {many} stored / on a fresh file"),
                run.ingest_kept(),
                KEPT_GOAL,
                ">= 0.9",
            ),
            against(
                &format!("SQLite fulfillment with {many} stored / on a fresh file"),
                run.fulfillment_kept(),
                KEPT_GOAL,
                ">= 0.9",
            ),
        ]
    }

    /// SQLite's figures beside PostgreSQL's.
    pub(super) fn sqlite_section(&self, md: &mut String) {
        let Some(run) = &self.sqlite else {
            return;
        };
        let _ = writeln!(md, "## The embedded default: SQLite (issue 17)\n");
        let _ = writeln!(
            md,
            "The same phases on a fresh SQLite file (WAL, `synchronous = NORMAL`, the service's \
             own settings), each against SQLite's own baseline: its store's insert and the \
             fulfillment service called in the bench's process over the same file, one \
             order or fulfillment per transaction as the service. Then {} orders are \
             bulk-loaded into the file ({:.0} s) and ingest and fulfillment measured again. \
             PostgreSQL's figures of this run beside them.\n",
            crate::report::thousands(self.plan.bulk_orders),
            run.bulk_load_secs
        );
        let _ = writeln!(md, "| figure | SQLite | PostgreSQL |\n|---|---|---|");
        let rows = [
            (
                "ingest: service, baseline (ratio)",
                compared(&run.empty.ingest),
                compared(&self.empty.ingest),
            ),
            (
                "fulfillment: service, baseline (ratio)",
                compared(&run.empty.fulfillment),
                compared(&self.empty.fulfillment),
            ),
            (
                "delivery: dispatcher, bare client (ratio)",
                delivery(&run.delivery),
                delivery(&self.delivery),
            ),
            (
                "webhook p50 / p99 at half the ingest rate",
                latency(&run.latency),
                latency(&self.latency),
            ),
            (
                "peak RSS of the service",
                format!("{:.1} MiB", run.peak_rss() as f64 / MIB),
                format!("{:.1} MiB", self.peak_rss() as f64 / MIB),
            ),
            (
                "with the bulk orders stored: ingest, service (kept)",
                format!(
                    "{:.0}/s ({:.2})",
                    run.loaded.ingest.service.rate,
                    run.ingest_kept()
                ),
                format!(
                    "{:.0}/s ({:.2})",
                    self.loaded.ingest.service.rate,
                    self.ingest_kept()
                ),
            ),
            (
                "with the bulk orders stored: fulfillment, service (kept)",
                format!(
                    "{:.0}/s ({:.2})",
                    run.loaded.fulfillment.service.rate,
                    run.fulfillment_kept()
                ),
                format!(
                    "{:.0}/s ({:.2})",
                    self.loaded.fulfillment.service.rate,
                    self.fulfillment_kept()
                ),
            ),
        ];
        for (what, sqlite, postgres) in rows {
            let _ = writeln!(md, "| {what} | {sqlite} | {postgres} |");
        }
        let _ = writeln!(md);
    }
}

fn compared(figure: &crate::report::Compared) -> String {
    format!(
        "{:.0}/s, {:.0}/s ({:.2})",
        figure.service.rate,
        figure.baseline.rate,
        figure.ratio()
    )
}

fn delivery(delivery: &Delivery) -> String {
    format!(
        "{:.0}/s, {:.0}/s ({:.2})",
        delivery.dispatcher.rate,
        delivery.bare.rate,
        delivery.ratio()
    )
}

fn latency(latency: &Latency) -> String {
    format!(
        "{:.1} / {:.1} ms at {:.0}/s",
        latency.p50_ms, latency.p99_ms, latency.achieved_rate
    )
}

//! `target/bench/report.json`: every figure, baseline, ratio, count and duration of a run,
//! with the machine, the targets and the notes.

use serde_json::{Value, json};

use crate::report::model::{Compared, Delivery, Figure, Plan, Report, Throughputs};

impl Figure {
    pub(super) fn json(&self) -> Value {
        json!({
            "count": self.count,
            "seconds": round(self.secs, 3),
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
        })
    }
}

impl Compared {
    pub(super) fn json(&self) -> Value {
        json!({
            "service": self.service.json(),
            "baseline": self.baseline.json(),
            "ratio": round(self.ratio(), 3),
        })
    }
}

impl Throughputs {
    pub(super) fn json(&self) -> Value {
        json!({
            "orders_stored_before": self.orders_stored,
            "ingest": self.ingest.json(),
            "fulfillment": self.fulfillment.json(),
        })
    }
}

impl Delivery {
    pub(super) fn json(&self) -> Value {
        json!({
            "deliveries": self.deliveries,
            "concurrency": self.concurrency,
            "dispatcher": self.dispatcher.json(),
            "dispatcher_wall_seconds": round(self.dispatcher_wall_secs, 3),
            "bare_client": self.bare.json(),
            "bare_client_wall_seconds": round(self.bare_wall_secs, 3),
            "ratio": round(self.ratio(), 3),
        })
    }
}

impl Plan {
    pub(super) fn json(&self) -> Value {
        json!({
            "mode": if self.quick { "quick" } else { "full" },
            "concurrency": self.concurrency,
            "operations_per_phase": self.operations,
            "warmup_per_phase": self.warmup,
            "latency_seconds": self.latency_secs,
            "slice_seconds_at_most": self.slice_secs,
            "bulk_orders": self.bulk_orders,
            "dispatch_concurrency": self.dispatch_concurrency,
            "database_connections": self.pool,
            "open_loop_max_in_flight": self.max_in_flight,
        })
    }
}

impl Report {
    /// `target/bench/report.json`.
    pub fn json(&self) -> Value {
        let targets: Vec<Value> = self
            .targets()
            .iter()
            .map(|t| json!({"what": t.what, "goal": t.goal, "measured": t.measured, "met": t.met}))
            .collect();
        json!({
            "mode": if self.plan.quick { "quick" } else { "full" },
            "started_at": self.started_at,
            "wall_seconds": round(self.wall_secs, 1),
            "commit": self.machine.commit,
            "uncommitted_changes": self.machine.uncommitted,
            "machine": {
                "nproc": self.machine.nproc,
                "memory_bytes": self.machine.memory_bytes,
                "cpu_model": self.machine.cpu_model,
                "kernel": self.machine.kernel,
                "load_average_start": self.load_start,
                "load_average_end": self.load_end,
                "busy_share_before": round(self.busy_before, 3),
                "busy_share_during": round(self.busy_during, 3),
                "contended": self.contended(),
                "other_work": self.other_work.iter().map(|(stage, other, wall)| json!({
                    "stage": stage,
                    "other_cpu_seconds": round(*other, 2),
                    "wall_seconds": round(*wall, 2),
                    "share_of_processors": round(self.other_share(*other, *wall), 3),
                })).collect::<Vec<_>>(),
            },
            "postgresql": {
                "version": self.server.version,
                "server_version": self.server.server_version,
                "fsync": self.server.fsync,
                "synchronous_commit": self.server.synchronous_commit,
                "shared_buffers": self.server.shared_buffers,
                "max_connections": self.server.max_connections,
                "autovacuum": self.server.autovacuum,
            },
            "plan": self.plan.json(),
            "empty_database": self.empty.json(),
            "freshness": {
                "idle": spread(&self.freshness.idle),
                "loaded": spread(&self.freshness.loaded),
                "loaded_per_second": round(self.freshness.loaded_rate, 1),
            },
            "latency_at_half_load": {
                "target_per_second": round(self.latency.target_rate, 1),
                "achieved_per_second": round(self.latency.achieved_rate, 1),
                "count": self.latency.count,
                "p50_ms": round(self.latency.p50_ms, 2),
                "p99_ms": round(self.latency.p99_ms, 2),
                "max_ms": round(self.latency.max_ms, 2),
            },
            "delivery": self.delivery.json(),
            "peak_rss_bytes": self.peak_rss(),
            "peak_rss_per_process_bytes": self.rss.iter().map(|(name, bytes)| json!({"process": name, "vm_hwm_bytes": bytes})).collect::<Vec<_>>(),
            "bulk_load": {
                "orders": self.plan.bulk_orders,
                "seconds": round(self.bulk_load_secs, 1),
            },
            "with_many_orders": self.loaded.json(),
            "console_pages": self.console.iter().map(super::ConsolePage::json).collect::<Vec<_>>(),
            "slow_marketplace": self.slow.iter().map(super::SlowPoint::json).collect::<Vec<_>>(),
            "load_curve": self.load_curve.iter().map(curve_point).collect::<Vec<_>>(),
            "insert_batches": self.batches.json(),
            "sqlite": self.sqlite.as_ref().map(super::SqliteRun::json),
            "with_many_orders_over_empty": {
                "ingest": round(self.ingest_kept(), 3),
                "fulfillment": round(self.fulfillment_kept(), 3),
            },
            "targets": targets,
            "notes": self.notes(),
        })
    }
}

pub(super) fn round(value: f64, places: i32) -> f64 {
    let scale = 10_f64.powi(places);
    (value * scale).round() / scale
}

/// One point of a load curve as JSON.
pub(super) fn curve_point(point: &super::Latency) -> Value {
    serde_json::json!({
        "offered_per_second": round(point.target_rate, 1),
        "achieved_per_second": round(point.achieved_rate, 1),
        "count": point.count,
        "shed": point.shed,
        "p50_ms": round(point.p50_ms, 2),
        "p99_ms": round(point.p99_ms, 2),
    })
}

/// A spread of delays as JSON.
fn spread(spread: &super::Spread) -> Value {
    serde_json::json!({
        "count": spread.count,
        "p50_ms": round(spread.p50_ms, 2),
        "p99_ms": round(spread.p99_ms, 2),
        "max_ms": round(spread.max_ms, 2),
    })
}

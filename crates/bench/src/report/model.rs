//! The figures one run measured and the targets of issue 8 they are held to: what
//! `report.json` and `BENCHMARKS.md` are written from, and the notes computed from the
//! figures for the targets not met.

use crate::db::ServerInfo;
use crate::load::Run;
use crate::machine::Machine;
use crate::report::thousands;

/// One measured throughput.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figure {
    /// Operations measured (warm-up excluded).
    pub count: usize,
    /// Seconds they took.
    pub secs: f64,
    /// Operations per second.
    pub rate: f64,
    /// Median latency of one operation, ms.
    pub p50_ms: f64,
    /// 99th percentile latency of one operation, ms.
    pub p99_ms: f64,
}

impl From<&Run> for Figure {
    fn from(run: &Run) -> Self {
        Self {
            count: run.count,
            secs: run.elapsed.as_secs_f64(),
            rate: run.rate(),
            p50_ms: run.latencies.percentile_ms(50.0),
            p99_ms: run.latencies.percentile_ms(99.0),
        }
    }
}

/// A figure of the service and of its baseline, measured in the same run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compared {
    /// Through the real service.
    pub service: Figure,
    /// The baseline.
    pub baseline: Figure,
}

impl Compared {
    /// Service over baseline.
    pub fn ratio(&self) -> f64 {
        ratio(self.service.rate, self.baseline.rate)
    }
}

pub(super) fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Ingest and fulfillment on one state of the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct Throughputs {
    /// Orders stored before the phase began.
    pub orders_stored: i64,
    /// ADM webhooks stored per second.
    pub ingest: Compared,
    /// Warehouse fulfillments recorded per second.
    pub fulfillment: Compared,
}

impl Throughputs {
    /// The service's ingest rate here over its rate in `other`.
    pub fn ingest_over(&self, other: &Self) -> f64 {
        ratio(self.ingest.service.rate, other.ingest.service.rate)
    }

    /// The same for fulfillment.
    pub fn fulfillment_over(&self, other: &Self) -> f64 {
        ratio(
            self.fulfillment.service.rate,
            other.fulfillment.service.rate,
        )
    }
}

/// The highest VmHWM of the processes in `rss`, bytes.
pub(super) fn peak(rss: &[(String, u64)]) -> u64 {
    rss.iter().map(|(_, b)| *b).max().unwrap_or(0)
}

/// Fulfillments pushed to the sandbox ADM.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivery {
    /// Deliveries queued before the dispatcher started.
    pub deliveries: usize,
    /// The dispatcher's concurrency, and the bare client's.
    pub concurrency: usize,
    /// The dispatcher: rate between the first and the last fulfillment the sandbox accepted.
    pub dispatcher: Figure,
    /// Seconds from starting the service to the sandbox holding every fulfillment.
    pub dispatcher_wall_secs: f64,
    /// The bare client, measured the same way.
    pub bare: Figure,
    /// Seconds from the bare client's first request to its last answer.
    pub bare_wall_secs: f64,
}

impl Delivery {
    /// Dispatcher over bare client.
    pub fn ratio(&self) -> f64 {
        ratio(self.dispatcher.rate, self.bare.rate)
    }
}

/// How a set of delays spreads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    /// Delays measured.
    pub count: usize,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Longest, ms.
    pub max_ms: f64,
}

/// How soon the marketplace hears of a shipment: from the warehouse's 201 to the sandbox
/// ADM's receipt.
#[derive(Debug, Clone, Copy, Default)]
pub struct Freshness {
    /// One fulfillment at a time on an otherwise idle service.
    pub idle: Spread,
    /// At `loaded_rate`, half the measured fulfillment rate.
    pub loaded: Spread,
    /// Fulfillments a second of `loaded`.
    pub loaded_rate: f64,
}

/// Webhook latency at a fixed rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// The rate asked for: half of the service's measured ingest rate.
    pub target_rate: f64,
    /// Requests stored.
    pub count: usize,
    /// Requests the service turned away as overloaded (503).
    pub shed: usize,
    /// What was achieved (all requests answered, over the time from the first to the last).
    pub achieved_rate: f64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

impl Latency {
    /// From an open-loop run at `target_rate`.
    pub fn from_run(target_rate: f64, run: &Run) -> Self {
        Self {
            target_rate,
            count: run.count,
            shed: run.shed,
            achieved_rate: run.rate(),
            p50_ms: run.latencies.percentile_ms(50.0),
            p99_ms: run.latencies.percentile_ms(99.0),
            max_ms: run.latencies.max_ms(),
        }
    }
}

/// Counts and durations the run was planned with.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// `--quick`.
    pub quick: bool,
    /// Concurrent requests of the ingest and fulfillment phases (and of their baselines).
    pub concurrency: usize,
    /// Measured operations per ingest or fulfillment phase.
    pub operations: usize,
    /// Operations run before each measurement, not counted.
    pub warmup: usize,
    /// Seconds of the fixed-rate latency phase.
    pub latency_secs: f64,
    /// Longest time one measured slice may take: it starts no operation after that.
    pub slice_secs: f64,
    /// Orders bulk-loaded before the second round.
    pub bulk_orders: u64,
    /// `ORDERBRIDGE_DISPATCH_CONCURRENCY` of the delivery phase.
    pub dispatch_concurrency: usize,
    /// Database connections of the service, and of the in-process baselines.
    pub pool: u32,
    /// Most requests in flight in the open loop.
    pub max_in_flight: usize,
    /// Fulfillments sent one at a time in the freshness phase.
    pub freshness_idle: usize,
}

impl Plan {
    /// The full run: a million orders stored, long phases.
    pub fn full() -> Self {
        Self {
            quick: false,
            concurrency: 16,
            operations: 20_000,
            warmup: 1_000,
            latency_secs: 20.0,
            slice_secs: 20.0,
            bulk_orders: 1_000_000,
            dispatch_concurrency: 8,
            pool: 10,
            max_in_flight: 512,
            freshness_idle: 200,
        }
    }

    /// `--quick`: small counts and short phases, to keep the benchmark working.
    pub fn quick() -> Self {
        Self {
            quick: true,
            operations: 2_000,
            warmup: 200,
            latency_secs: 4.0,
            slice_secs: 3.0,
            bulk_orders: 20_000,
            freshness_idle: 30,
            ..Self::full()
        }
    }
}

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Counts and durations.
    pub plan: Plan,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// Seconds the whole run took.
    pub wall_secs: f64,
    /// The machine.
    pub machine: Machine,
    /// The PostgreSQL server.
    pub server: ServerInfo,
    /// Load averages when the run started and ended.
    pub load_start: [f64; 3],
    /// Load averages when the run ended.
    pub load_end: [f64; 3],
    /// Share of all processors busy (with anything) in the 2 s before the run.
    pub busy_before: f64,
    /// Share of all processors busy over the whole run (the run's own work included).
    pub busy_during: f64,
    /// On a fresh database.
    pub empty: Throughputs,
    /// Webhook latency at half the maximum ingest rate.
    pub latency: Latency,
    /// The dispatcher against the bare client.
    pub delivery: Delivery,
    /// From the warehouse's 201 to the marketplace's receipt.
    pub freshness: Freshness,
    /// Seconds the bulk load (and its VACUUM ANALYZE) took.
    pub bulk_load_secs: f64,
    /// With the bulk orders stored.
    pub loaded: Throughputs,
    /// The console's pages with the bulk orders stored (issue 16).
    pub console: Vec<super::ConsolePage>,
    /// The dispatcher against a bare client with a marketplace answering after 50 ms.
    pub slow: Vec<super::SlowPoint>,
    /// The round-1 service's insert transactions.
    pub batches: super::Batches,
    /// Webhook throughput and latency against offered load (round 1).
    pub load_curve: Vec<Latency>,
    /// The same phases on SQLite, when they ran.
    pub sqlite: Option<super::SqliteRun>,
    /// Peak RSS (VmHWM) of each service process, bytes.
    pub rss: Vec<(String, u64)>,
    /// Per stage: its name, CPU seconds other work used on the machine, its wall seconds.
    pub other_work: Vec<(String, f64, f64)>,
}

/// Bytes in a MiB.
pub(super) const MIB: f64 = 1_048_576.0;

/// One target of issue 8.
pub(super) struct Target {
    pub(super) what: String,
    pub(super) goal: &'static str,
    pub(super) measured: String,
    pub(super) met: bool,
}

impl Report {
    /// The highest VmHWM of the service processes, bytes.
    pub fn peak_rss(&self) -> u64 {
        peak(&self.rss)
    }

    /// Ingest with the bulk orders stored over ingest on the fresh database (the service).
    pub fn ingest_kept(&self) -> f64 {
        self.loaded.ingest_over(&self.empty)
    }

    /// The same for fulfillment.
    pub fn fulfillment_kept(&self) -> f64 {
        self.loaded.fulfillment_over(&self.empty)
    }

    /// Share of the machine's processor time that other work used during `stage`'s seconds.
    pub(super) fn other_share(&self, other_secs: f64, wall_secs: f64) -> f64 {
        let capacity = wall_secs * self.machine.nproc as f64;
        if capacity > 0.0 {
            other_secs / capacity
        } else {
            0.0
        }
    }

    /// Other work's share of the processors over the measured stages.
    pub fn other_share_total(&self) -> f64 {
        let other: f64 = self.other_work.iter().map(|(_, o, _)| o).sum();
        let wall: f64 = self.other_work.iter().map(|(_, _, w)| w).sum();
        self.other_share(other, wall)
    }

    /// Whether other work than the run's competed with it: busy processors just before it
    /// (the load average lags and still shows the release build that just ran), or more than
    /// 10% of the processor time taken by other processes during a stage.
    pub fn contended(&self) -> bool {
        self.busy_before > 0.15
            || self
                .other_work
                .iter()
                .any(|(_, other, wall)| self.other_share(*other, *wall) > 0.10)
    }

    pub(super) fn many(&self) -> String {
        if self.plan.quick {
            format!(
                "{} orders (quick mode; the target names 1,000,000)",
                thousands(self.plan.bulk_orders)
            )
        } else {
            format!("{} orders", thousands(self.plan.bulk_orders))
        }
    }

    pub(super) fn targets(&self) -> Vec<Target> {
        let many = self.many();
        let mut targets = vec![
            Target {
                what: "ingest, service / storage limit".to_owned(),
                goal: ">= 0.8",
                measured: format!("{:.3}", self.empty.ingest.ratio()),
                met: self.empty.ingest.ratio() >= 0.8,
            },
            Target {
                what: "fulfillment, service / storage limit".to_owned(),
                goal: ">= 0.7",
                measured: format!("{:.3}", self.empty.fulfillment.ratio()),
                met: self.empty.fulfillment.ratio() >= 0.7,
            },
            Target {
                what: "delivery, dispatcher / bare client".to_owned(),
                goal: ">= 0.8",
                measured: format!("{:.3}", self.delivery.ratio()),
                met: self.delivery.ratio() >= 0.8,
            },
            Target {
                what: "webhook p99 at half the maximum ingest rate".to_owned(),
                goal: "<= 20 ms",
                measured: format!("{:.1} ms", self.latency.p99_ms),
                met: self.latency.p99_ms <= 20.0,
            },
            Target {
                what: "peak RSS of the service".to_owned(),
                goal: "<= 64 MiB",
                measured: format!("{:.1} MiB", self.peak_rss() as f64 / MIB),
                met: (self.peak_rss() as f64) <= 64.0 * MIB,
            },
            Target {
                what: format!("ingest with {many} stored / on an empty database"),
                goal: ">= 0.9",
                measured: format!("{:.3}", self.ingest_kept()),
                met: self.ingest_kept() >= 0.9,
            },
            Target {
                what: format!("fulfillment with {many} stored / on an empty database"),
                goal: ">= 0.9",
                measured: format!("{:.3}", self.fulfillment_kept()),
                met: self.fulfillment_kept() >= 0.9,
            },
            Target {
                what: "freshness p99, idle (warehouse 201 to marketplace receipt)".to_owned(),
                goal: "<= 20 ms",
                measured: format!("{:.1} ms", self.freshness.idle.p99_ms),
                met: self.freshness.idle.p99_ms <= 20.0,
            },
            Target {
                what: "freshness p99 at half the fulfillment rate".to_owned(),
                goal: "<= 50 ms",
                measured: format!("{:.1} ms", self.freshness.loaded.p99_ms),
                met: self.freshness.loaded.p99_ms <= 50.0,
            },
        ];
        targets.extend(self.slow_targets());
        targets.extend(self.group_targets());
        targets.extend(self.sqlite_targets());
        targets
    }

    /// Notes on the targets not met, from the run's figures. What profiling found about them
    /// is history, not a figure of this run: it is in the hand-written prose of
    /// `BENCHMARKS.md`, under "Targets not met".
    pub(super) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.delivery.ratio() < 0.8 {
            notes.push(format!(
                "delivery ({:.3} of the bare client, with `dispatch.concurrency` {}): the \
                 dispatcher commits every outcome before its permit is reused, the bare client \
                 records nothing.",
                self.delivery.ratio(),
                self.plan.dispatch_concurrency
            ));
        }
        if self.empty.ingest.ratio() < 0.8 {
            notes.push(format!(
                "ingest ({:.3} of the storage limit): the service's insert is the baseline's \
                 transaction; the gap is receiving and answering {} concurrent HTTP requests.",
                self.empty.ingest.ratio(),
                self.plan.concurrency
            ));
        }
        if self.empty.fulfillment.ratio() < 0.7 {
            notes.push(format!(
                "fulfillment ({:.2} of the storage limit).",
                self.empty.fulfillment.ratio()
            ));
        }
        if self.fulfillment_kept() < 0.9 {
            notes.push(format!(
                "fulfillment with many orders ({:.2} of the fresh database's rate, while the \
                 baseline kept {:.2}).",
                self.fulfillment_kept(),
                ratio(
                    self.loaded.fulfillment.baseline.rate,
                    self.empty.fulfillment.baseline.rate
                )
            ));
        }
        if self.latency.p99_ms > 20.0 {
            notes.push(format!(
                "latency (p99 {:.1} ms at half load).",
                self.latency.p99_ms
            ));
        }
        if self.contended() && (self.ingest_kept() < 0.9 || self.fulfillment_kept() < 0.9) {
            notes.push(
                "many orders: other work ran during the run (see above), and it changes \
                 between round 1 and round 2, so the drop between them is not the orders \
                 table's doing alone; compare the baselines of the two rounds, measured \
                 under the same conditions as the service."
                    .to_owned(),
            );
        }
        notes
    }
}

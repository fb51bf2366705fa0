//! The slow-marketplace figures (issue 17): the dispatcher against a bare client at several
//! concurrencies, the sandbox ADM answering after 50 ms, and where throughput stops growing.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::report::json::round as json_round;
use crate::report::model::Target;
use crate::report::{Figure, Report};

/// The goal: the dispatcher at this share of a bare client, at the concurrencies it applies to.
pub const SLOW_GOAL: f64 = 0.9;

/// The concurrencies the goal applies to.
const GOAL_AT: [usize; 2] = [8, 32];

/// One concurrency's run.
#[derive(Debug, Clone, Copy)]
pub struct SlowPoint {
    /// Sends at once, dispatcher and bare client alike.
    pub concurrency: usize,
    /// Deliveries sent by each.
    pub deliveries: usize,
    /// The dispatcher, between the sandbox's first and last arrival.
    pub dispatcher: Figure,
    /// The bare client, measured the same way.
    pub bare: Figure,
}

impl SlowPoint {
    /// Dispatcher / bare client.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        if self.bare.rate > 0.0 {
            self.dispatcher.rate / self.bare.rate
        } else {
            0.0
        }
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "concurrency": self.concurrency,
            "deliveries": self.deliveries,
            "dispatcher_per_second": json_round(self.dispatcher.rate, 1),
            "bare_client_per_second": json_round(self.bare.rate, 1),
            "ratio": json_round(self.ratio(), 3),
        })
    }
}

impl Report {
    /// The targets of the slow-marketplace phase: the ratio at 8 and at 32.
    pub(super) fn slow_targets(&self) -> Vec<Target> {
        self.slow
            .iter()
            .filter(|p| GOAL_AT.contains(&p.concurrency))
            .map(|p| Target {
                what: format!(
                    "delivery at 50 ms marketplace latency, concurrency {}: dispatcher / bare client",
                    p.concurrency
                ),
                goal: ">= 0.9",
                measured: format!("{:.3}", p.ratio()),
                met: p.ratio() >= SLOW_GOAL,
            })
            .collect()
    }

    /// The table, and where the dispatcher's throughput stops growing with concurrency.
    pub(super) fn slow_section(&self, md: &mut String) {
        if self.slow.is_empty() {
            return;
        }
        let _ = writeln!(md, "## A slow marketplace (issue 17)\n");
        let _ = writeln!(
            md,
            "The sandbox ADM holds every request 50 ms; a fresh service's dispatcher sends at \
             each concurrency (`ORDERBRIDGE_DISPATCH_CONCURRENCY`, the channel's send slots), \
             then a bare client sends the very bodies at the same concurrency; both measured \
             between the sandbox's first and last arrival. The deliveries are fulfillments \
             delivered earlier, put back in the queue (40 per send slot; 10 in a quick run).\n"
        );
        let _ = writeln!(
            md,
            "| concurrency | deliveries | dispatcher | bare client | ratio | ideal (concurrency / 50 ms) |\n|---|---|---|---|---|---|"
        );
        for p in &self.slow {
            let _ = writeln!(
                md,
                "| {} | {} | {:.0}/s | {:.0}/s | {:.2} | {:.0}/s |",
                p.concurrency,
                p.deliveries,
                p.dispatcher.rate,
                p.bare.rate,
                p.ratio(),
                p.concurrency as f64 / 0.05
            );
        }
        let _ = writeln!(md, "\n{}\n", growth(&self.slow));
    }
}

/// Where the dispatcher's throughput stopped growing in step with its concurrency (less than
/// three quarters of the step's factor).
fn growth(points: &[SlowPoint]) -> String {
    for pair in points.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        let asked = high.concurrency as f64 / low.concurrency as f64;
        let got = if low.dispatcher.rate > 0.0 {
            high.dispatcher.rate / low.dispatcher.rate
        } else {
            0.0
        };
        if got < asked * 0.75 {
            return format!(
                "The dispatcher's throughput stops growing in step between concurrency {} \
                     and {}: {:.1} times the concurrency gave {:.1} times the deliveries a second \
                     (the bare client: {:.1} times). Past that point the service's own work per \
                     delivery (claim, load, record: the database's commits) and the two \
                     processors it shares with PostgreSQL, the sandbox and the load generator \
                     bound it, not the marketplace's latency.",
                low.concurrency,
                high.concurrency,
                asked,
                got,
                if low.bare.rate > 0.0 {
                    high.bare.rate / low.bare.rate
                } else {
                    0.0
                }
            );
        }
    }
    "The dispatcher's throughput grew in step with its concurrency across the range \
         measured: the marketplace's latency, not the service, bounds it there."
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::{SlowPoint, growth};
    use crate::report::Figure;

    fn point(concurrency: usize, dispatcher: f64, bare: f64) -> SlowPoint {
        let figure = |rate| Figure {
            count: 100,
            secs: 1.0,
            rate,
            p50_ms: 0.0,
            p99_ms: 0.0,
        };
        SlowPoint {
            concurrency,
            deliveries: 100,
            dispatcher: figure(dispatcher),
            bare: figure(bare),
        }
    }

    #[test]
    fn throughput_in_step_with_concurrency_is_bound_by_the_marketplace() {
        let points = [
            point(8, 160.0, 165.0),
            point(32, 630.0, 650.0),
            point(128, 2_400.0, 2_600.0),
        ];
        assert!(growth(&points).contains("grew in step"));
        assert!((points[0].ratio() - 160.0 / 165.0).abs() < 1e-9);
    }

    #[test]
    fn the_step_where_throughput_falls_behind_is_named() {
        let points = [
            point(8, 160.0, 165.0),
            point(32, 630.0, 650.0),
            point(128, 900.0, 2_600.0),
        ];
        let text = growth(&points);
        assert!(text.contains("between concurrency 32 and 128"), "{text}");
    }
}

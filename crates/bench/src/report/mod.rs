//! The results of one run: `target/bench/report.json` (every figure, baseline, ratio, count and
//! duration, with the machine) and `BENCHMARKS.md` (the same as tables, with the targets of
//! issue 8 marked met or not met, and how to reproduce).
//!
//! `model` holds the figures and targets, `console` the console's page times (issue 16),
//! `slow` the slow marketplace and `sqlite` the embedded default (issue 17), `json` writes
//! report.json, `markdown` writes the generated section of BENCHMARKS.md and keeps the
//! hand-written prose around it.

mod chart;
mod console;
mod group;
mod json;
mod markdown;
mod model;
mod slow;
mod sqlite;

pub use chart::CHART_PATH;
pub use console::ConsolePage;
pub use group::Batches;
pub use markdown::splice;
pub use model::{
    Compared, Delivery, Figure, Freshness, Latency, Plan, Report, Spread, Throughputs,
};
pub use slow::SlowPoint;
pub use sqlite::SqliteRun;

/// 1000000 -> "1,000,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}

//! `orderbridge-bench`: the benchmarks of design.md section 10, run by `cargo xtask bench`.
//! It drives the release `orderbridge serve` process on a PostgreSQL database of its own, then
//! on a SQLite file of its own (the embedded default), and measures each figure against a
//! baseline taken in the same run on the same store, then writes `target/bench/report.json`
//! and `BENCHMARKS.md`.

mod db;
mod load;
mod machine;
mod phases;
mod report;
mod service;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{SecondsFormat, Utc};

use crate::db::StoreKind;
use crate::machine::{Machine, OtherCpu, cpu_times, load_average};
use crate::phases::Harness;
use crate::report::{
    Delivery, Freshness, Latency, Plan, Report, SlowPoint, SqliteRun, Throughputs,
};

const HELP: &str = "\
orderbridge-bench: the benchmarks of design.md section 10 (run it through `cargo xtask bench`)

Usage: orderbridge-bench [OPTIONS]

Options:
  --database-url URL   A PostgreSQL server (fsync on) where the user may create databases;
                       default: DATABASE_URL. The bench creates a database there and drops it.
  --orderbridge PATH   The release orderbridge binary [default: next to this one]
  --report PATH        The JSON report [default: target/bench/report.json]
  --markdown PATH      The Markdown summary whose generated section to rewrite
                       [default: BENCHMARKS.md]
  --quick              Small counts and short phases (20,000 orders stored instead of
                       1,000,000): about a minute
  --help               This help
";

/// The command line.
#[derive(Debug)]
struct Args {
    database_url: String,
    orderbridge: PathBuf,
    report: PathBuf,
    markdown: PathBuf,
    quick: bool,
}

fn parse_args(args: &[String]) -> Result<Option<Args>> {
    let mut database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let mut orderbridge = None;
    let mut report = PathBuf::from("target/bench/report.json");
    let mut markdown = PathBuf::from("BENCHMARKS.md");
    let mut quick = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--quick" => quick = true,
            "--database-url" => database_url = Some(value()?),
            "--orderbridge" => orderbridge = Some(PathBuf::from(value()?)),
            "--report" => report = PathBuf::from(value()?),
            "--markdown" => markdown = PathBuf::from(value()?),
            other => bail!("unknown argument {other:?}; see --help"),
        }
    }
    let Some(database_url) = database_url else {
        bail!("no PostgreSQL: pass --database-url or set DATABASE_URL (`cargo xtask bench` does)");
    };
    let orderbridge = match orderbridge {
        Some(path) => path,
        None => std::env::current_exe()
            .context("finding this program")?
            .with_file_name("orderbridge"),
    };
    Ok(Some(Args {
        database_url,
        orderbridge,
        report,
        markdown,
        quick,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match parse_args(&args) {
        Ok(None) => {
            print!("{HELP}");
            Ok(())
        }
        Ok(Some(args)) => run(args).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orderbridge-bench: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Share of the processors busy over `window`, from /proc/stat.
async fn busy_share(window: Duration) -> f64 {
    let before = cpu_times();
    tokio::time::sleep(window).await;
    share_since(before)
}

fn share_since((busy0, idle0): (f64, f64)) -> f64 {
    let (busy1, idle1) = cpu_times();
    let total = (busy1 - busy0) + (idle1 - idle0);
    if total > 0.0 {
        (busy1 - busy0) / total
    } else {
        0.0
    }
}

/// Everything measured, in the order measured.
struct Measured {
    empty: Throughputs,
    latency: Latency,
    load_curve: Vec<Latency>,
    batches: report::Batches,
    delivery: Delivery,
    freshness: Freshness,
    slow: Vec<SlowPoint>,
    bulk_load_secs: f64,
    loaded: Throughputs,
    console: Vec<report::ConsolePage>,
    /// Per stage: its name, CPU seconds of other work on the machine, and its wall seconds.
    other_work: Vec<(String, f64, f64)>,
}

async fn run(args: Args) -> Result<()> {
    if !args.orderbridge.is_file() {
        bail!(
            "no orderbridge binary at {} (build it with `cargo build --release -p orderbridge`)",
            args.orderbridge.display()
        );
    }
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let wall = Instant::now();
    let load_start = load_average();
    let busy_before = busy_share(Duration::from_secs(2)).await;
    let cpu_start = cpu_times();
    let server = db::server_info(&args.database_url).await?;
    let root = std::env::current_dir()?;
    let machine = Machine::read(&root);
    let log_dir = args
        .report
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    eprintln!(
        "==> orderbridge-bench ({} mode) on PostgreSQL {} (fsync={}, synchronous_commit={}), {} processors, load {:.2}",
        if plan.quick { "quick" } else { "full" },
        server.server_version,
        server.fsync,
        server.synchronous_commit,
        machine.nproc,
        load_start[0]
    );

    let (measured, rss, sqlite) = measure_both(&args, plan, log_dir).await?;

    let report = Report {
        plan,
        started_at,
        wall_secs: wall.elapsed().as_secs_f64(),
        machine,
        server,
        load_start,
        load_end: load_average(),
        busy_before,
        busy_during: share_since(cpu_start),
        empty: measured.empty,
        latency: measured.latency,
        load_curve: measured.load_curve,
        batches: measured.batches,
        delivery: measured.delivery,
        freshness: measured.freshness,
        slow: measured.slow,
        bulk_load_secs: measured.bulk_load_secs,
        loaded: measured.loaded,
        console: measured.console,
        sqlite: Some(sqlite),
        other_work: measured.other_work,
        rss,
    };
    write_outputs(&args, &report)?;
    eprintln!(
        "==> done in {:.0} s: {} and {}",
        report.wall_secs,
        args.report.display(),
        args.markdown.display()
    );
    Ok(())
}

/// Both stores' rounds: PostgreSQL's figures with its services' peak RSS, then SQLite's.
async fn measure_both(
    args: &Args,
    plan: Plan,
    log_dir: PathBuf,
) -> Result<(Measured, Vec<(String, u64)>, SqliteRun)> {
    let mut harness = Harness::new(
        plan,
        StoreKind::Postgres,
        &args.database_url,
        args.orderbridge.clone(),
        log_dir.clone(),
    )
    .await?;
    let watch = OtherCpu::start(&harness.database_name());
    let measured = measure(&mut harness, &plan, &watch).await;
    watch.stop();
    let rss = std::mem::take(&mut harness.rss);
    let finished = harness.finish().await;
    let mut measured = measured?;
    finished?;

    eprintln!("==> SQLite, the embedded default");
    let mut harness = Harness::new(
        plan,
        StoreKind::Sqlite,
        &args.database_url,
        args.orderbridge.clone(),
        log_dir,
    )
    .await?;
    let watch = OtherCpu::start(&harness.database_name());
    let sqlite = measure_sqlite(&mut harness, &watch).await;
    watch.stop();
    let sqlite_rss = std::mem::take(&mut harness.rss);
    let finished = harness.finish().await;
    let (mut sqlite, sqlite_stages) = sqlite?;
    finished?;
    sqlite.rss = sqlite_rss;
    measured.other_work.extend(sqlite_stages);
    Ok((measured, rss, sqlite))
}

/// Writes the JSON report, the Markdown summary's generated section and the load chart.
fn write_outputs(args: &Args, report: &Report) -> Result<()> {
    let json = serde_json::to_string_pretty(&report.json())?;
    std::fs::write(&args.report, json + "\n")
        .with_context(|| format!("writing {}", args.report.display()))?;
    write_markdown(&args.markdown, report)?;
    if let Some(svg) = report.load_chart() {
        let chart = args
            .markdown
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(report::CHART_PATH);
        if let Some(dir) = chart.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&chart, svg).with_context(|| format!("writing {}", chart.display()))?;
    }
    Ok(())
}

/// Notes the other work seen since the last stage ended.
struct Stages<'a> {
    watch: &'a OtherCpu,
    seconds: f64,
    started: Instant,
    done: Vec<(String, f64, f64)>,
}

impl<'a> Stages<'a> {
    fn new(watch: &'a OtherCpu) -> Self {
        Self {
            watch,
            seconds: watch.seconds(),
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    fn end(&mut self, name: &str) {
        let seconds = self.watch.seconds();
        let other = seconds - self.seconds;
        let wall = self.started.elapsed().as_secs_f64();
        eprintln!("    ({name}: other work on the machine used {other:.1} CPU s in {wall:.1} s)");
        self.done.push((name.to_owned(), other, wall));
        self.seconds = seconds;
        self.started = Instant::now();
    }
}

/// What round 1 measures on a fresh database, the same on either store.
struct RoundOne {
    empty: Throughputs,
    latency: Latency,
    load_curve: Vec<Latency>,
    batches: report::Batches,
}

/// Round 1 on a service named `name` that records only: ingest and fulfillment against their
/// baselines, webhook latency at half the ingest rate, the load curve and the batch sizes.
async fn round_one(h: &mut Harness, name: &str) -> Result<RoundOne> {
    let recording = h.start_service(name, true).await?;
    let empty = h.throughputs(&recording.base_url()).await?;
    let rate = empty.ingest.service.rate / 2.0;
    eprintln!("    latency: webhooks at {rate:.0}/s ...");
    let latency = h.latency(&recording.base_url(), rate).await?;
    eprintln!(
        "    latency: p50 {:.1} ms, p99 {:.1} ms at {:.0}/s",
        latency.p50_ms, latency.p99_ms, latency.achieved_rate
    );
    let load_curve = h
        .load_curve(&recording.base_url(), empty.ingest.service.rate)
        .await?;
    let batches = h.batches(&recording.base_url()).await?;
    eprintln!("    insert transactions: mean {:.2} orders", batches.mean());
    h.stop_service(name, recording).await?;
    Ok(RoundOne {
        empty,
        latency,
        load_curve,
        batches,
    })
}

async fn measure(h: &mut Harness, plan: &Plan, watch: &OtherCpu) -> Result<Measured> {
    let mut stages = Stages::new(watch);
    eprintln!("==> round 1: a fresh database");
    let RoundOne {
        empty,
        latency,
        load_curve,
        batches,
    } = round_one(h, "recording").await?;
    stages.end("round 1");

    eprintln!("==> delivery");
    let delivery = h.delivery().await?;
    stages.end("delivery");

    eprintln!("==> freshness");
    let freshness = h.freshness(empty.fulfillment.service.rate / 2.0).await?;
    stages.end("freshness");

    eprintln!("==> a slow marketplace");
    let slow = h.slow_marketplace().await?;
    stages.end("slow marketplace");

    eprintln!(
        "==> round 2: bulk-loading {} orders",
        report::thousands(plan.bulk_orders)
    );
    let bulk_load_secs = h.bulk_load().await?;
    stages.end("bulk load");
    let many = h.start_service("many-orders", true).await?;
    let loaded = h.throughputs(&many.base_url()).await?;
    eprintln!("==> console pages");
    let console = h.console_pages(&many.base_url()).await?;
    h.stop_service("many-orders", many).await?;
    stages.end("round 2");
    Ok(Measured {
        empty,
        latency,
        load_curve,
        batches,
        delivery,
        freshness,
        slow,
        bulk_load_secs,
        loaded,
        console,
        other_work: stages.done,
    })
}

/// The SQLite round: ingest, fulfillment and half-load latency on a fresh file, delivery,
/// then the bulk load and ingest and fulfillment again; with its stages' other work.
async fn measure_sqlite(
    h: &mut Harness,
    watch: &OtherCpu,
) -> Result<(SqliteRun, Vec<(String, f64, f64)>)> {
    let mut stages = Stages::new(watch);
    let RoundOne {
        empty,
        latency,
        load_curve,
        batches,
    } = round_one(h, "sqlite-recording").await?;
    stages.end("sqlite round 1");
    eprintln!("==> SQLite delivery");
    let delivery = h.delivery().await?;
    stages.end("sqlite delivery");
    eprintln!("==> SQLite round 2: bulk-loading");
    let bulk_load_secs = h.bulk_load().await?;
    stages.end("sqlite bulk load");
    let many = h.start_service("sqlite-many-orders", true).await?;
    let loaded = h.throughputs(&many.base_url()).await?;
    h.stop_service("sqlite-many-orders", many).await?;
    stages.end("sqlite round 2");
    let run = SqliteRun {
        empty,
        latency,
        load_curve,
        batches,
        delivery,
        bulk_load_secs,
        loaded,
        rss: Vec::new(),
    };
    Ok((run, stages.done))
}

/// Rewrites the generated section of the Markdown summary at `path` (see `report::splice`).
fn write_markdown(path: &Path, report: &Report) -> Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("reading {}", path.display()));
        }
    };
    let markdown = report::splice(existing.as_deref(), &report.markdown());
    std::fs::write(path, markdown).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_command_line_is_read() -> anyhow::Result<()> {
        let parsed = parse_args(&args(
            "--quick --database-url postgres://x@h/db --orderbridge /b/orderbridge",
        ))?;
        let parsed = parsed.ok_or_else(|| anyhow::anyhow!("no arguments read"))?;
        assert!(parsed.quick);
        assert_eq!(parsed.database_url, "postgres://x@h/db");
        assert_eq!(
            parsed.orderbridge,
            std::path::PathBuf::from("/b/orderbridge")
        );
        assert!(parse_args(&args("--help"))?.is_none());
        assert!(parse_args(&args("--bogus")).is_err());
        assert!(parse_args(&args("--report")).is_err());
        Ok(())
    }
}

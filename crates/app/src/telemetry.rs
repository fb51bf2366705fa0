//! Logs and metrics: `tracing` events as pretty lines or JSON, and a Prometheus recorder whose
//! text the HTTP server serves at `/metrics`, with its upkeep run on an interval.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber. `RUST_LOG` overrides `filter` when set.
///
/// # Errors
/// When the filter does not parse or a subscriber is already installed.
pub fn init_logs(format: LogFormat, filter: &str) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.trim().is_empty() => EnvFilter::try_new(from_env),
        _ => EnvFilter::try_new(filter),
    }
    .context("ORDERBRIDGE_LOG_FILTER (log.filter) is not a valid filter")?;
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    installed
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("installing the log subscriber")
}

/// How often the recorder's upkeep runs.
pub const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the global metrics recorder and returns what renders it, and starts its upkeep on
/// the current runtime: every [`METRICS_UPKEEP_EVERY`], histogram samples recorded since are
/// folded into their summaries. A recorder installed without an HTTP listener of its own has no
/// upkeep unless its owner runs it; without it, every sample is kept until `/metrics` is read,
/// and memory grows without bound when nothing scrapes it.
///
/// # Errors
/// When a recorder is already installed.
pub fn init_metrics() -> Result<orderbridge_http::MetricsRender> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    let upkeep = handle.clone();
    // For the life of the process, as the global recorder itself.
    tokio::spawn(run_upkeep(METRICS_UPKEEP_EVERY, move || {
        upkeep.run_upkeep();
    }));
    Ok(render(handle))
}

/// What renders `handle`'s metrics.
fn render(handle: PrometheusHandle) -> orderbridge_http::MetricsRender {
    Arc::new(move || handle.render())
}

/// Runs `upkeep` every `every`, for ever.
async fn run_upkeep(every: Duration, upkeep: impl Fn()) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        upkeep();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::{render, run_upkeep};

    #[tokio::test]
    async fn upkeep_runs_again_and_again_on_its_interval() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let task = tokio::spawn(run_upkeep(Duration::from_millis(10), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        tokio::time::sleep(Duration::from_millis(300)).await;
        task.abort();
        let runs = runs.load(Ordering::SeqCst);
        assert!((3..=31).contains(&runs), "{runs} runs in 300 ms");
    }

    #[test]
    fn upkeep_keeps_what_is_rendered() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::histogram!("orderbridge_test_seconds").record(0.25);
            metrics::counter!("orderbridge_test_total").increment(3);
        });
        handle.run_upkeep();
        let text = render(handle)();
        assert!(text.contains("orderbridge_test_total 3"), "{text}");
        assert!(text.contains("orderbridge_test_seconds_count 1"), "{text}");
    }
}

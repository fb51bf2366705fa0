//! Logs and metrics: `tracing` events as pretty lines or JSON, and a Prometheus recorder whose
//! text the HTTP server serves at `/metrics`.

use std::sync::Arc;

use anyhow::{Context, Result};
use metrics_exporter_prometheus::PrometheusBuilder;
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

/// Installs the global metrics recorder and returns what renders it.
///
/// # Errors
/// When a recorder is already installed.
pub fn init_metrics() -> Result<orderbridge_http::MetricsRender> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    Ok(Arc::new(move || handle.render()))
}

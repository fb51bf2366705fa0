//! The orderbridge service: configuration, the composition root that wires adapters to the
//! domain, the HTTP server and the background workers, and graceful shutdown.
//!
//! Invariant: this is the only crate that knows every adapter; adding a marketplace means one new
//! adapter crate and a few lines in [`wiring`].

pub mod config;
pub mod group_commit;
mod leases;
pub mod marketplaces;
pub mod overdue;
pub mod purge;
pub mod server;
pub mod settings;
mod slots;
pub mod telemetry;
#[cfg(test)]
mod test_queue;
pub mod wiring;
pub mod workers;

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;

/// Runs the service on `listener` until `shutdown` completes: stops taking requests, lets
/// in-flight requests and deliveries finish within the configured timeout, gives back leases,
/// and returns.
///
/// # Errors
/// When the store cannot be opened or migrated, or the server fails.
pub async fn run(
    config: Config,
    listener: TcpListener,
    metrics: Option<orderbridge_http::MetricsRender>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let store = wiring::open_store_waking(&config.database, &wake).await?;
    let parts = wiring::build(&config, store.clone(), metrics)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let grace = config.shutdown_timeout;

    let (router, mut workers) = spawn_workers(&config, store, parts, wake, &stop_rx);

    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    tracing::info!(%address, "orderbridge is listening");
    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, router, config.server, async move {
        shutdown.await;
        tracing::info!("shutting down: no new requests");
        let _ = drain_tx.send(());
    }));

    // Wait for the shutdown signal (or the server ending on its own).
    let _ = drain_rx.await;
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace + Duration::from_secs(1), async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("workers did not stop in time");
        workers.abort_all();
    }
    match tokio::time::timeout(grace, server).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error).context("the HTTP server task failed"),
        Err(_) => tracing::warn!("requests still in flight after the shutdown timeout were cut"),
    }
    tracing::info!("orderbridge stopped");
    Ok(())
}

/// Starts the background workers (dispatcher, pollers, alerts, purge, ship-by, gauges), each
/// stopping when `stop_rx` turns true; the router is what is left of `parts`.
fn spawn_workers(
    config: &Config,
    store: std::sync::Arc<dyn orderbridge_domain::ports::store::Store>,
    parts: wiring::Parts,
    wake: std::sync::Arc<tokio::sync::Notify>,
    stop_rx: &watch::Receiver<bool>,
) -> (axum::Router, tokio::task::JoinSet<()>) {
    let grace = config.shutdown_timeout;
    let mut workers = tokio::task::JoinSet::new();
    if config.dispatching {
        workers.spawn(workers::dispatch_loop_woken(
            parts.dispatcher,
            config.dispatch,
            wake,
            stop_rx.clone(),
            grace,
        ));
    } else {
        tracing::info!("dispatch.enabled is false: this instance sends no deliveries");
    }
    for polling in parts.pollers {
        workers.spawn(workers::poll_loop(polling, stop_rx.clone()));
    }
    if let Some(alerts) = parts.alerts {
        workers.spawn(workers::alert_loop(
            alerts,
            config.dispatch.idle_poll,
            stop_rx.clone(),
        ));
    }
    if let Some(period) = config.retention {
        workers.spawn(purge::purge_loop(
            purge::purge(store.clone(), period),
            purge::FIRST_PURGE,
            purge::PURGE_EVERY,
            stop_rx.clone(),
        ));
    }
    workers.spawn(overdue::overdue_loop(
        parts.deadlines,
        parts.channel_ids,
        config.overdue_check,
        stop_rx.clone(),
    ));
    workers.spawn(workers::outbox_gauges(
        store,
        parts.channels,
        Duration::from_secs(10),
        stop_rx.clone(),
    ));
    (parts.router, workers)
}

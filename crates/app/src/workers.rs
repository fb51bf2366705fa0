//! The background workers: the dispatcher loop (bounded concurrency, leases given back on
//! shutdown), the pollers of pull channels, and the outbox gauges.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::store::OrderStore;
use orderbridge_domain::services::{Dispatched, Dispatcher, Poller};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::config::DispatchConfig;

/// Waits until `stop` turns true.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Sleeps for `pause` or until stopped; true when stopped.
async fn pause_or_stop(pause: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => *stop.borrow(),
        () = stopped(stop) => true,
    }
}

/// Claims due outbox rows and sends them, at most `concurrency` at once, until `stop`; then lets
/// in-flight sends finish within `grace` and gives back every lease this loop holds.
pub async fn dispatch_loop(
    dispatcher: Dispatcher,
    config: DispatchConfig,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    // One lease token per loop: shutdown releases everything claimed under it.
    let token = Uuid::now_v7();
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let free = permits.available_permits();
        if free == 0 {
            tokio::select! {
                _ = tasks.join_next() => {}
                () = stopped(&mut stop) => break,
            }
            continue;
        }
        let limit = config
            .batch_size
            .min(u32::try_from(free).unwrap_or(u32::MAX));
        let claimed = match dispatcher.claim(token, limit).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(error = %error, "could not claim outbox rows");
                if pause_or_stop(config.idle_poll, &mut stop).await {
                    break;
                }
                continue;
            }
        };
        if claimed.is_empty() {
            if pause_or_stop(config.idle_poll, &mut stop).await {
                break;
            }
            continue;
        }
        for row in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let dispatcher = dispatcher.clone();
            tasks.spawn(async move {
                let delivery = &row.delivery;
                let outcome = dispatcher.dispatch(&row).await;
                let label = match &outcome {
                    Ok(Dispatched::Delivered) => "delivered",
                    Ok(Dispatched::Retrying(_)) => "retry",
                    Ok(Dispatched::Parked(_)) => "parked",
                    Ok(Dispatched::LeaseLost) => "lease_lost",
                    Err(_) => "store_error",
                };
                metrics::counter!(
                    "orderbridge_deliveries_total",
                    "channel" => delivery.channel.to_string(),
                    "kind" => delivery.kind.name(),
                    "outcome" => label
                )
                .increment(1);
                match outcome {
                    Ok(Dispatched::Delivered) => tracing::info!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, "delivered"),
                    Ok(Dispatched::Retrying(at)) => tracing::warn!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, attempts = delivery.attempts + 1, next_attempt_at = %at, "delivery failed; will retry"),
                    Ok(Dispatched::Parked(error)) if error.starts_with("authentication failed") => tracing::error!(order_id = %delivery.order_id, delivery_id = %delivery.id, channel = %delivery.channel, error = %error, "marketplace refused our credentials: delivery parked; check the channel's configuration"),
                    Ok(Dispatched::Parked(error)) => tracing::error!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, error = %error, "delivery parked for an operator"),
                    Ok(Dispatched::LeaseLost) => tracing::warn!(delivery_id = %delivery.id, "lease ran out before the outcome was recorded; another worker has the row"),
                    Err(error) => tracing::error!(delivery_id = %delivery.id, error = %error, "could not record a delivery outcome; the row is tried again when its lease runs out"),
                }
                drop(permit);
            });
        }
    }
    // Shutdown: let in-flight sends finish, then give back what is still leased.
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            in_flight = tasks.len(),
            "shutdown: deliveries still in flight after the grace period were stopped"
        );
        tasks.abort_all();
    }
    match dispatcher.release(token).await {
        Ok(released) => tracing::info!(released, "dispatcher stopped; leases given back"),
        Err(error) => {
            tracing::error!(error = %error, "could not give back leases; they run out on their own");
        }
    }
}

/// Polls one pull channel every `interval` until `stop`, then gives up its lease so that
/// another instance can poll at once.
pub async fn poll_loop(
    poller: Poller,
    channel: String,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let outcome = tokio::select! {
            outcome = poller.poll_once() => outcome,
            () = stopped(&mut stop) => break,
        };
        match outcome {
            Ok(Some(report)) => {
                metrics::counter!("orderbridge_orders_received_total", "channel" => channel.clone())
                    .increment(u64::from(report.created));
                for (external_id, reason) in &report.unreadable {
                    let external_id = external_id.as_ref().map_or("?", |id| id.as_str());
                    tracing::error!(channel = %channel, external_id, reason = %reason, "order could not be read; it stays in the marketplace's feed");
                }
                tracing::info!(channel = %channel, pages = report.pages, created = report.created, known = report.known, unreadable = report.unreadable.len(), "polled");
            }
            Ok(None) => {
                tracing::debug!(channel = %channel, "another instance is polling this channel")
            }
            Err(error) => {
                tracing::warn!(channel = %channel, error = %error, "poll failed; trying again next interval")
            }
        }
        if pause_or_stop(interval, &mut stop).await {
            break;
        }
    }
    match poller.release().await {
        Ok(true) => tracing::info!(channel = %channel, "poller stopped; lease given back"),
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(channel = %channel, error = %error, "could not give back the poller lease; it runs out on its own")
        }
    }
}

/// Publishes the outbox depth and the age of its oldest row every `every`.
pub async fn outbox_gauges(
    store: Arc<dyn OrderStore>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match store.outbox_stats().await {
            Ok(stats) => {
                #[allow(clippy::cast_precision_loss, reason = "a gauge of a count")]
                {
                    metrics::gauge!("orderbridge_outbox_pending").set(stats.pending as f64);
                    metrics::gauge!("orderbridge_outbox_dead").set(stats.dead as f64);
                }
                let age = stats.oldest_pending.map_or(0.0, |oldest| {
                    (chrono::Utc::now() - oldest).as_seconds_f64().max(0.0)
                });
                metrics::gauge!("orderbridge_outbox_oldest_pending_age_seconds").set(age);
            }
            Err(error) => tracing::warn!(error = %error, "could not read outbox stats"),
        }
        if pause_or_stop(every, &mut stop).await {
            break;
        }
    }
}

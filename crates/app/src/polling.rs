//! The worker of one pull channel account: it polls the account's feed of new orders every
//! interval and, beside it, re-reads the account's open orders on their own schedule (the
//! state check), both under the channel's one poll lease and through the account's one
//! client, so that its rate limit holds across both; on shutdown both stop and the lease is
//! given back.

use std::time::Duration;

use orderbridge_domain::services::{Poller, RoundStop, StateCheckReport};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::{pause_or_stop, stopped};

/// One pull channel account's poller and its schedule.
#[derive(Debug, Clone)]
pub struct Polling {
    /// The channel account's id, for logs and metrics.
    pub channel: String,
    /// Polls the feed and re-reads open orders.
    pub poller: Poller,
    /// The pause between polls of new orders.
    pub interval: Duration,
    /// The time between the starts of two state checks; `None`: no state checks.
    pub state_check: Option<Duration>,
}

/// Polls one pull channel every `interval`, and checks its open orders' states every
/// `state_check` (the first one state-check interval after the start), until `stop`; then
/// gives up its lease so that another instance can poll at once.
pub async fn poll_loop(polling: Polling, stop: watch::Receiver<bool>) {
    let Polling {
        channel,
        poller,
        interval,
        state_check,
    } = polling;
    let polls = polls(&poller, &channel, interval, stop.clone());
    let checks = async {
        if let Some(every) = state_check {
            state_checks(&poller, &channel, every, stop.clone()).await;
        }
    };
    tokio::join!(polls, checks);
    match poller.release().await {
        Ok(true) => tracing::info!(channel = %channel, "poller stopped; lease given back"),
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(channel = %channel, error = %error, "could not give back the poller lease; it runs out on its own")
        }
    }
}

/// Reads the feed of new orders every `interval` until `stop`.
async fn polls(
    poller: &Poller,
    channel: &str,
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
                metrics::counter!("orderbridge_orders_received_total", "channel" => channel.to_owned())
                    .increment(u64::from(report.created));
                // Counted once per body kept: the feed presents an unread order on every poll.
                metrics::counter!("orderbridge_inbound_rejected_total", "channel" => channel.to_owned())
                    .increment(u64::from(report.quarantined));
                for (external_id, reason) in &report.unreadable {
                    let external_id = external_id.as_ref().map_or("?", |id| id.as_str());
                    tracing::error!(channel = %channel, external_id, reason = %reason, "order could not be read; it stays in the marketplace's feed and in quarantine");
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
}

/// Checks the open orders' states every `every` (from the start of one round to the start of
/// the next; a round longer than that is followed by the next at once) until `stop`.
async fn state_checks(
    poller: &Poller,
    channel: &str,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stopped(&mut stop) => break,
        }
        let outcome = tokio::select! {
            outcome = poller.check_states() => outcome,
            () = stopped(&mut stop) => break,
        };
        match outcome {
            Ok(Some(report)) => record_round(channel, &report),
            Ok(None) => {
                tracing::debug!(channel = %channel, "another instance checks this channel's order states");
            }
            Err(error) => {
                tracing::warn!(channel = %channel, error = %error, "state check failed; trying again next interval");
            }
        }
    }
}

/// Counts and logs one state check (order ids only: no personal data).
fn record_round(channel: &str, report: &StateCheckReport) {
    let counter = |name: &'static str, value: u32| {
        metrics::counter!(name, "channel" => channel.to_owned()).increment(u64::from(value));
    };
    counter("orderbridge_state_checks_total", 1);
    counter("orderbridge_orders_rechecked_total", report.checked);
    counter(
        "orderbridge_marketplace_cancellations_total",
        report.cancelled,
    );
    counter("orderbridge_marketplace_holds_total", report.held);
    counter("orderbridge_marketplace_releases_total", report.released);
    for external_id in &report.not_found {
        tracing::warn!(channel = %channel, external_id = external_id.as_str(), "the marketplace does not know an order that is open here; nothing changed");
    }
    for (external_id, reason) in &report.failed {
        tracing::warn!(channel = %channel, external_id = external_id.as_str(), reason = %reason, "could not check an order's state; the next round tries again");
    }
    let stopped = match &report.stopped {
        None => None,
        Some(RoundStop::LeaseLost) => Some("another instance took the lease".to_owned()),
        Some(RoundStop::Unsupported) => Some("the channel cannot re-read orders".to_owned()),
        Some(RoundStop::Source(error)) => Some(error.to_string()),
    };
    match stopped {
        None => {
            tracing::info!(channel = %channel, checked = report.checked, cancelled = report.cancelled, held = report.held, released = report.released, not_found = report.not_found.len(), failed = report.failed.len(), "order states checked");
        }
        Some(why) => {
            tracing::warn!(channel = %channel, checked = report.checked, cancelled = report.cancelled, held = report.held, released = report.released, not_found = report.not_found.len(), failed = report.failed.len(), stopped = %why, "order state check stopped early; the next round starts over");
        }
    }
}

//! The ship-by worker: every `orders.overdue_check_secs` it counts the orders past the
//! marketplace's deadline with units still open, per channel (the gauge
//! `orderbridge_orders_overdue{channel}`), and queues one `order_overdue` alert for each order
//! that became overdue (when alerts are on). Every instance runs it; the store's
//! compare-and-set raises each order's alert once.

use std::collections::BTreeSet;
use std::time::Duration;

use orderbridge_domain::ports::store::OverdueCount;
use orderbridge_domain::services::DeadlineService;
use orderbridge_domain::values::ChannelId;
use tokio::sync::watch;

use crate::workers::pause_or_stop;

/// Checks overdue orders every `every` (the first check at once) until `stop`. `channels`
/// are the configured channel accounts, whose gauge shows 0 while none of their orders is
/// overdue.
pub async fn overdue_loop(
    service: DeadlineService,
    channels: Vec<ChannelId>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut gauged: BTreeSet<ChannelId> = channels.into_iter().collect();
    loop {
        match service.check().await {
            Ok(check) => {
                gauges(&check.counts, &mut gauged);
                for order in &check.alerted {
                    tracing::warn!(order_id = %order, "order overdue: past the marketplace's deadline with units still open; alert queued");
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not check overdue orders; trying again next interval");
            }
        }
        if pause_or_stop(every, &mut stop).await {
            break;
        }
    }
}

/// Sets each channel's gauge: its count, or 0 for a channel in `gauged` (configured, or
/// counted before) with none now, so that a gauge falls back once its orders ship.
fn gauges(counts: &[OverdueCount], gauged: &mut BTreeSet<ChannelId>) {
    gauged.extend(counts.iter().map(|c| c.channel.clone()));
    for channel in gauged.iter() {
        let orders = counts
            .iter()
            .find(|c| c.channel == *channel)
            .map_or(0, |c| c.orders);
        #[allow(clippy::cast_precision_loss, reason = "a gauge of a count")]
        metrics::gauge!("orderbridge_orders_overdue", "channel" => channel.to_string())
            .set(orders as f64);
    }
}

//! The outbox and channel gauges, published every so often by their own worker.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::health::ChannelState;
use orderbridge_domain::ports::store::DeliveryLog;
use orderbridge_domain::services::{ChannelService, ChannelView};
use tokio::sync::watch;

use super::pause_or_stop;

/// Publishes the outbox depth and the age of its oldest row every `every`.
pub async fn outbox_gauges(
    log: Arc<dyn DeliveryLog>,
    channels: ChannelService,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match log.outbox_stats().await {
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
        match channels.channels().await {
            Ok(views) => channel_gauges(&views),
            Err(error) => tracing::warn!(error = %error, "could not read channel health"),
        }
        if pause_or_stop(every, &mut stop).await {
            break;
        }
    }
}

/// One gauge per channel and state (1 for the channel's state, 0 for the others), and each
/// channel's pending and parked deliveries.
fn channel_gauges(views: &[ChannelView]) {
    for view in views {
        let channel = view.health.channel.to_string();
        for state in ChannelState::ALL {
            let value = if state == view.health.state { 1.0 } else { 0.0 };
            metrics::gauge!("orderbridge_channel_state", "channel" => channel.clone(), "state" => state.as_str())
                .set(value);
        }
        #[allow(clippy::cast_precision_loss, reason = "a gauge of a count")]
        {
            metrics::gauge!("orderbridge_channel_pending", "channel" => channel.clone())
                .set(view.stats.pending as f64);
            metrics::gauge!("orderbridge_channel_parked", "channel" => channel)
                .set(view.stats.dead as f64);
        }
    }
}

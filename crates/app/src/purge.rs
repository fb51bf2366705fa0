//! Retention in the service (design section 11, `retention.days`): the purge worker, which
//! erases personal data shortly after start and then daily, and the lines `orderbridge purge`
//! prints. Both name orders and entries by id, channel and external id only, never by what
//! was erased; the worker logs counts.

use std::sync::Arc;
use std::time::Duration;

use chrono::SecondsFormat;
use orderbridge_domain::inbound::InboundState;
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::retention::RetentionPeriod;
use orderbridge_domain::services::{Purge, PurgeMode, PurgeReport, Purged};
use tokio::sync::watch;

use crate::workers::pause_or_stop;

/// How long after start the worker first purges: the service is up and serving by then.
pub const FIRST_PURGE: Duration = Duration::from_secs(60);

/// How often the worker purges after that.
pub const PURGE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// The purge of `store` under `period`, with the system's clock and ids.
#[must_use]
pub fn purge(store: Arc<dyn Store>, period: RetentionPeriod) -> Purge {
    Purge::new(store, Arc::new(SystemClock), Arc::new(UuidV7Ids), period)
}

/// Purges `first` after start, then every `every`, until `stop`. Several instances may run it
/// at once: an erasure checks again that it is due, so each is done once.
pub async fn purge_loop(
    purge: Purge,
    first: Duration,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let days = purge.period().get();
    tracing::info!(days, "retention on: personal data is purged daily");
    let mut pause = first;
    loop {
        if pause_or_stop(pause, &mut stop).await {
            break;
        }
        pause = every;
        let mut ignore = |_: Purged<'_>| {};
        let run = purge.run(PurgeMode::Erase, &mut ignore);
        let outcome = tokio::select! {
            outcome = run => outcome,
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
        };
        match outcome {
            Ok(report) => {
                tracing::info!(
                    days,
                    cutoff = %report.cutoff,
                    orders = report.orders,
                    inbound = report.inbound,
                    skipped = report.skipped,
                    "personal data purged"
                );
            }
            Err(error) => {
                tracing::error!(error = %error, "purge failed; what it erased stays erased, and the next purge goes on");
            }
        }
    }
}

/// One line of `orderbridge purge` for something erased (or due, in a dry run).
#[must_use]
pub fn line(purged: Purged<'_>) -> String {
    match purged {
        Purged::Order(due) => format!(
            "order {} {} {} complete since {}",
            due.id,
            due.channel,
            due.external_id,
            due.completed_at
                .to_rfc3339_opts(SecondsFormat::Micros, true)
        ),
        Purged::Inbound(due) => format!(
            "inbound {} {} {} {} {}",
            due.id,
            due.channel,
            due.external_id.as_deref().unwrap_or("-"),
            match due.state {
                InboundState::Replayed => "replayed",
                InboundState::Discarded | InboundState::Rejected => "discarded",
            },
            due.closed_at.to_rfc3339_opts(SecondsFormat::Micros, true)
        ),
    }
}

/// What `orderbridge purge` prints before the lines.
#[must_use]
pub fn heading(period: RetentionPeriod, mode: PurgeMode) -> String {
    let verb = match mode {
        PurgeMode::DryRun => "would erase (dry run: nothing is erased)",
        PurgeMode::Erase => "erasing",
    };
    format!(
        "retention.days = {}: {verb} the customer email, shipping address, raw payload and notes of orders complete for that long, and quarantined bodies replayed or discarded that long ago",
        period.get()
    )
}

/// What `orderbridge purge` prints after the lines.
#[must_use]
pub fn summary(report: &PurgeReport, mode: PurgeMode) -> String {
    let (verb, skipped) = match mode {
        PurgeMode::DryRun => ("would erase", String::new()),
        PurgeMode::Erase => (
            "erased",
            format!(
                "; {} changed meanwhile or erased by another instance, left alone",
                report.skipped
            ),
        ),
    };
    format!(
        "{verb}: {} orders, {} quarantined bodies (complete or closed on or before {}){skipped}",
        report.orders,
        report.inbound,
        report.cutoff.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

#[cfg(test)]
#[path = "purge_tests.rs"]
mod tests;

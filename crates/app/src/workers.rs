//! The background workers: the dispatcher loop (bounded concurrency, leases given back on
//! shutdown), the pollers of pull channels (`polling.rs`, with their state checks), and the
//! outbox gauges (`gauges.rs`).

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::health::Transition;
use orderbridge_domain::outbox::Delivery;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_domain::services::{
    AlertSender, Attempt, Dispatched, Dispatcher, HealthChange, Ready,
};
use orderbridge_domain::values::ChannelId;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::config::DispatchConfig;
use crate::leases::{self, Tokens};
use crate::slots::{Claim, Slot, Slots};
pub use polling::{Polling, poll_loop};

/// Waits until `stop` turns true.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Sleeps for `pause` or until stopped; true when stopped.
pub(crate) async fn pause_or_stop(pause: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => *stop.borrow(),
        () = stopped(stop) => true,
    }
}

/// Claims due outbox rows and sends them, at most `concurrency` per channel account at once,
/// until `stop`; then lets in-flight sends finish within `grace` and gives back every lease
/// this loop holds.
///
/// Three parts work at once so that the database's commits do not serialise the sends: a
/// claimer keeps a queue of rows claimed ahead, a batch at a time, with their orders loaded
/// (skipping channels whose slots are all taken, and first taking the probes of paused
/// channels that are due); senders take rows from it, each with a slot of its channel; a
/// recorder commits the outcomes of the sends that finished meanwhile in one transaction and
/// moves the channels' health. A send keeps its slot until its outcome is committed, so that at
/// most `concurrency` deliveries per channel are sent but not yet recorded: the most a crash
/// can make us send twice. A row that waited until less than half its lease was left is not
/// sent: its lease runs out and it is claimed again.
///
/// Each claim has a token of its own, so that an outcome of a row whose lease ran out and was
/// claimed again, by this loop or another instance, is never recorded under the new claim;
/// shutdown gives back the leases of every claim with rows not recorded. A row's lease is
/// renewed while it is sent, and a send whose lease cannot be kept is cut off (`leases.rs`).
pub async fn dispatch_loop(
    dispatcher: Dispatcher,
    config: DispatchConfig,
    stop: watch::Receiver<bool>,
    grace: Duration,
) {
    dispatch_loop_woken(dispatcher, config, Arc::new(Notify::new()), stop, grace).await;
}

/// [`dispatch_loop`], whose claimer, when nothing is due, also looks as soon as `wake` is
/// notified (a delivery queued: see `wiring::open_store_waking`) rather than only after
/// `idle_poll`.
pub async fn dispatch_loop_woken(
    dispatcher: Dispatcher,
    config: DispatchConfig,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let tokens = Tokens::default();
    let batch = usize::try_from(config.batch_size)
        .unwrap_or(usize::MAX)
        .max(1);
    let slots = Slots::new(config.concurrency, batch);
    let (queue, mut queued) = mpsc::channel::<(Ready, Claim)>(batch.saturating_mul(2));
    let (finished, to_record) = mpsc::channel::<(Attempt, Slot)>(batch);
    let claimer = tokio::spawn(claim_loop(
        dispatcher.clone(),
        tokens.clone(),
        batch,
        Idle {
            poll: config.idle_poll,
            wake,
        },
        queue,
        slots.clone(),
        stop.clone(),
    ));
    let (observed, to_observe) = mpsc::channel::<Observed>(batch);
    let watcher = tokio::spawn(health_loop(dispatcher.clone(), to_observe, batch));
    let recorder = tokio::spawn(record_loop(
        dispatcher.clone(),
        tokens.clone(),
        to_record,
        observed,
        batch,
    ));
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let row = tokio::select! {
            row = queued.recv() => row,
            () = stopped(&mut stop) => break,
        };
        let Some((row, claim)) = row else { break };
        tasks.spawn(send_one(
            dispatcher.clone(),
            slots.clone(),
            tokens.clone(),
            row,
            claim,
            finished.clone(),
        ));
    }
    // Shutdown: claim nothing more, let in-flight sends finish, record their outcomes, then
    // give back what is still leased (rows queued but not sent among them).
    drop(queued);
    if let Err(error) = claimer.await {
        tracing::error!(error = %error, "the claimer stopped abnormally");
    }
    drain(&mut tasks, grace).await;
    drop(finished);
    if let Err(error) = recorder.await {
        tracing::error!(error = %error, "the recorder stopped abnormally");
    }
    if let Err(error) = watcher.await {
        tracing::error!(error = %error, "the channel health watcher stopped abnormally");
    }
    match dispatcher.release(&tokens.live()).await {
        Ok(released) => tracing::info!(released, "dispatcher stopped; leases given back"),
        Err(error) => {
            tracing::error!(error = %error, "could not give back leases; they run out on their own");
        }
    }
}

/// Lets the sends in flight finish within `grace`, then stops the rest.
async fn drain(tasks: &mut JoinSet<()>, grace: Duration) {
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            in_flight = tasks.len(),
            "shutdown: deliveries still in flight after the grace period were stopped"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}

/// Sends one claimed row once its channel has a free slot (unless it waited so long that its
/// lease is no longer fresh), and passes the attempt to the recorder with the slot.
async fn send_one(
    dispatcher: Dispatcher,
    slots: Slots,
    tokens: Tokens,
    row: Ready,
    claim: Claim,
    finished: mpsc::Sender<(Attempt, Slot)>,
) {
    let Some(slot) = slots.take(claim).await else {
        return;
    };
    if !dispatcher.lease_fresh(&row) {
        tracing::warn!(delivery_id = %row.claimed.delivery.id, "claimed row waited too long to be sent; it is claimed again when its lease runs out");
        tokens.done(row.claimed.lease.token);
        return;
    }
    let keeper = leases::keep(dispatcher.clone(), row.clone());
    let attempt = dispatcher.attempt_ready(&row, keeper).await;
    // The recorder gives the slot back once the outcome is committed.
    if finished.send((attempt, slot)).await.is_err() {
        tracing::error!(delivery_id = %row.claimed.delivery.id, "outcome not recorded (the recorder stopped); the row is tried again when its lease runs out");
    }
}

/// When the claimer looks again with nothing due: after `poll`, or at once when `wake` is
/// notified.
struct Idle {
    poll: Duration,
    wake: Arc<Notify>,
}

/// How often the claimer looks for paused channels whose probe is due.
const PROBE_LOOK: Duration = Duration::from_secs(1);

/// Keeps `queue` topped up: waits until a whole batch fits, claims the due probes of paused
/// channels and then a batch of rows of channels with a free slot, queues them; pauses for
/// `idle_poll` when nothing is due. Ends on `stop` or when the queue's receiver is gone.
async fn claim_loop(
    dispatcher: Dispatcher,
    tokens: Tokens,
    batch: usize,
    idle: Idle,
    queue: mpsc::Sender<(Ready, Claim)>,
    slots: Slots,
    mut stop: watch::Receiver<bool>,
) {
    let batch = batch.min(queue.max_capacity()).max(1);
    let started = tokio::time::Instant::now();
    let mut last_probe_look = started.checked_sub(PROBE_LOOK).unwrap_or(started);
    loop {
        if *stop.borrow() {
            break;
        }
        let room = tokio::select! {
            room = queue.reserve_many(batch) => room,
            () = stopped(&mut stop) => break,
        };
        let Ok(room) = room else { break };
        let full = slots.full();
        // Paused channels' probes are looked for at most once a second.
        let probe = last_probe_look.elapsed() >= PROBE_LOOK;
        if probe {
            last_probe_look = tokio::time::Instant::now();
        }
        let claimed = match claim_round(&dispatcher, batch, &full, probe).await {
            Ok(claimed) => {
                tokens.hold(&claimed);
                claimed
            }
            Err(error) => {
                tracing::error!(error = %error, "could not claim outbox rows or load their orders");
                if pause_or_stop(idle.poll, &mut stop).await {
                    break;
                }
                continue;
            }
        };
        if claimed.is_empty() {
            drop(room);
            // Nothing due, or only rows of channels whose slots are all taken: wait until one
            // of those has room again (or the pause, whichever comes first).
            let wait = async {
                if full.is_empty() {
                    tokio::time::sleep(idle.poll).await;
                } else {
                    let _ = tokio::time::timeout(idle.poll, slots.room_in(&full)).await;
                }
            };
            let stopped_now = tokio::select! {
                () = wait => *stop.borrow(),
                // A delivery was queued: look again at once.
                () = idle.wake.notified() => *stop.borrow(),
                () = stopped(&mut stop) => true,
            };
            if stopped_now {
                break;
            }
            continue;
        }
        let mut rows = claimed.into_iter();
        for (place, row) in room.zip(rows.by_ref()) {
            let claim = slots.claimed(&row.claimed.delivery.channel);
            place.send((row, claim));
        }
        // Probes beyond the batch's room (rare): queued as room frees.
        for row in rows {
            let claim = slots.claimed(&row.claimed.delivery.channel);
            if queue.send((row, claim)).await.is_err() {
                break;
            }
        }
    }
}

/// One claim: the due probes of paused channels (when `probe`), then up to `batch` due rows
/// of the channels not `full`, with their orders; each claim under a token of its own. Rows
/// claimed by a round that then failed (their orders could not be loaded) are not counted:
/// their leases run out on their own.
async fn claim_round(
    dispatcher: &Dispatcher,
    batch: usize,
    full: &[ChannelId],
    probe: bool,
) -> Result<Vec<Ready>, StoreError> {
    let mut claimed = if probe {
        dispatcher.claim_probes(Uuid::now_v7(), full).await?
    } else {
        Vec::new()
    };
    let limit = u32::try_from(batch).unwrap_or(u32::MAX);
    claimed.extend(dispatcher.claim_ready(Uuid::now_v7(), limit, full).await?);
    Ok(claimed)
}

/// Records finished attempts, as many as have arrived (up to `limit`) per transaction, gives
/// back their slots, reports each outcome and passes them on for channel health; ends once
/// every sender is gone and the channel is drained.
async fn record_loop(
    dispatcher: Dispatcher,
    tokens: Tokens,
    mut finished: mpsc::Receiver<(Attempt, Slot)>,
    observed: mpsc::Sender<Observed>,
    limit: usize,
) {
    let mut batch = Vec::with_capacity(limit);
    while finished.recv_many(&mut batch, limit).await > 0 {
        let (attempts, permits): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let leases: Vec<Uuid> = attempts.iter().map(|a| a.completion.lease.token).collect();
        let (deliveries, outcomes) = dispatcher.record(attempts).await;
        // Recorded, lost, or left to run out after a store failure: nothing to give back.
        leases.into_iter().for_each(|token| tokens.done(token));
        // The outcomes are committed (or their leases will run out): the slots are free.
        drop(permits);
        let mut recorded: Observed = (Vec::new(), Vec::new());
        for (delivery, outcome) in deliveries.into_iter().zip(outcomes) {
            report(&delivery, outcome.as_ref());
            if let Ok(dispatched) = outcome {
                recorded.0.push(delivery);
                recorded.1.push(dispatched);
            }
        }
        if !recorded.0.is_empty() && observed.send(recorded).await.is_err() {
            tracing::error!("the channel health watcher stopped; outcomes are not observed");
        }
    }
}

/// Recorded outcomes, for channel health.
type Observed = (Vec<Delivery>, Vec<Dispatched>);

/// Moves the channels' health by the recorded outcomes, off the recorder's path: as many
/// batches as have arrived (up to `limit`) at a time. Ends when the recorder is gone.
async fn health_loop(dispatcher: Dispatcher, mut observed: mpsc::Receiver<Observed>, limit: usize) {
    let mut batches = Vec::with_capacity(limit);
    while observed.recv_many(&mut batches, limit).await > 0 {
        let (deliveries, outcomes): (Vec<_>, Vec<_>) = batches.drain(..).unzip();
        let deliveries: Vec<Delivery> = deliveries.into_iter().flatten().collect();
        let outcomes: Vec<Dispatched> = outcomes.into_iter().flatten().collect();
        match dispatcher.observe(&deliveries, &outcomes).await {
            Ok(changes) => changes.iter().for_each(report_health),
            Err(error) => {
                tracing::error!(error = %error, "could not record channel health; the next outcomes try again");
            }
        }
    }
}

/// The log line of a channel's change of health.
fn report_health(change: &HealthChange) {
    let health = &change.health;
    let reason = health.reason.as_deref().unwrap_or("");
    match change.transition {
        Transition::Paused => {
            tracing::error!(channel = %health.channel, reason, "channel paused: the marketplace refused our credentials; its deliveries wait and it is probed until it takes them")
        }
        Transition::Resumed => {
            tracing::info!(channel = %health.channel, "channel resumed: the marketplace takes our deliveries again")
        }
        Transition::BackingOff => {
            tracing::warn!(channel = %health.channel, reason, until = ?health.until, "channel backing off after transient failures in a row")
        }
        Transition::Recovered => {
            tracing::info!(channel = %health.channel, "channel recovered from backing off")
        }
    }
}

/// The metric and the log line of one delivery's outcome.
fn report(delivery: &Delivery, outcome: Result<&Dispatched, &StoreError>) {
    let label = match outcome {
        Ok(Dispatched::Delivered) => "delivered",
        Ok(Dispatched::Retrying(_)) => "retry",
        Ok(Dispatched::Parked(_)) => "parked",
        Ok(Dispatched::Refused(_)) => "refused",
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
        Ok(Dispatched::Delivered) => {
            tracing::info!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, "delivered")
        }
        Ok(Dispatched::Retrying(at)) => {
            tracing::warn!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, attempts = delivery.attempts + 1, next_attempt_at = %at, "delivery failed; will retry")
        }
        Ok(Dispatched::Refused(reason)) => {
            tracing::error!(order_id = %delivery.order_id, delivery_id = %delivery.id, channel = %delivery.channel, reason = %reason, "marketplace refused our credentials: the delivery waits while the channel is paused; check the channel's configuration")
        }
        Ok(Dispatched::Parked(error)) if error.starts_with("authentication failed") => {
            tracing::error!(order_id = %delivery.order_id, delivery_id = %delivery.id, channel = %delivery.channel, error = %error, "marketplace refused our credentials: delivery parked; check the channel's configuration")
        }
        Ok(Dispatched::Parked(error)) => {
            tracing::error!(order_id = %delivery.order_id, delivery_id = %delivery.id, kind = delivery.kind.name(), channel = %delivery.channel, error = %error, "delivery parked for an operator")
        }
        Ok(Dispatched::LeaseLost) => {
            tracing::warn!(delivery_id = %delivery.id, "lease ran out before the outcome was recorded; another worker has the row")
        }
        Err(error) => {
            tracing::error!(delivery_id = %delivery.id, error = %error, "could not record a delivery outcome; the row is tried again when its lease runs out")
        }
    }
}

/// Sends queued alerts until `stop`, pausing for `idle` when none is due (and after a store
/// failure).
pub async fn alert_loop(sender: AlertSender, idle: Duration, mut stop: watch::Receiver<bool>) {
    let token = Uuid::now_v7();
    loop {
        if *stop.borrow() {
            break;
        }
        let pause = match sender.send_due(token, 16).await {
            Ok(sent) => {
                if sent.delivered > 0 {
                    tracing::info!(delivered = sent.delivered, "alerts sent");
                }
                if sent.retrying > 0 {
                    tracing::warn!(
                        retrying = sent.retrying,
                        "alerts webhook failed; alerts will be sent again"
                    );
                }
                if sent.parked > 0 {
                    tracing::error!(
                        parked = sent.parked,
                        "alerts webhook refused alerts for good; they are kept but not sent"
                    );
                }
                sent.delivered + sent.retrying + sent.parked == 0
            }
            Err(error) => {
                tracing::error!(error = %error, "could not claim or record alerts");
                true
            }
        };
        if pause && pause_or_stop(idle, &mut stop).await {
            break;
        }
    }
}

// A child of `workers`, so that its events' target is `orderbridge::workers::polling` and a log
// filter on `orderbridge::workers` covers the pollers too.
#[path = "polling.rs"]
mod polling;

#[path = "gauges.rs"]
mod gauges;
pub use gauges::outbox_gauges;

#[cfg(test)]
#[path = "workers_tests.rs"]
mod tests;

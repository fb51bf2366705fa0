//! The in-memory store's outbox rows and the rules the SQL stores apply in their statements:
//! what a queued row waits for, superseding a whole-order call, and when an operator may act.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::order::OrderEvent;
use crate::outbox::{Delivery, DeliveryState, NewDelivery};
use crate::ports::store::{AttemptResult, Lease, LeaseError};
use crate::values::DeliveryId;

use super::State;

/// One outbox row with its lease.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) delivery: Delivery,
    pub(super) lease: Option<(Uuid, DateTime<Utc>)>,
    /// The rows it waits for.
    pub(super) waits: Vec<DeliveryId>,
}

fn to_row(new: &NewDelivery) -> Row {
    Row {
        delivery: Delivery {
            id: new.id,
            order_id: new.order_id,
            channel: new.channel.clone(),
            kind: new.kind,
            state: DeliveryState::Pending,
            attempts: 0,
            created_at: new.created_at,
            next_attempt_at: new.created_at,
            last_error: None,
            remote_ref: None,
            delivered_at: None,
        },
        lease: None,
        waits: Vec::new(),
    }
}

/// Queues `outbox` as the SQL stores do: inserts the rows, lets each whole-order call
/// supersede the pending unleased one of its order (moving its waiters), then records what
/// each row waits for among the order's pending and parked rows.
pub(super) fn queue(state: &mut State, outbox: &[NewDelivery]) {
    let first = state.outbox.len();
    state.outbox.extend(outbox.iter().map(to_row));
    for new in outbox.iter().filter(|d| d.supersedes()) {
        let mut old = Vec::new();
        for row in &mut state.outbox {
            let d = &mut row.delivery;
            if d.order_id == new.order_id
                && d.channel == new.channel
                && d.kind == new.kind
                && d.state == DeliveryState::Pending
                && row.lease.is_none()
                && d.id != new.id
            {
                d.state = DeliveryState::Superseded;
                old.push(d.id);
            }
        }
        for row in &mut state.outbox {
            if row.waits.iter().any(|w| old.contains(w)) {
                row.waits.retain(|w| !old.contains(w));
                row.waits.push(new.id);
            }
        }
    }
    for (offset, new) in outbox.iter().enumerate() {
        let waits: Vec<DeliveryId> = state
            .outbox
            .iter()
            .filter(|row| {
                let d = &row.delivery;
                d.order_id == new.order_id
                    && d.channel == new.channel
                    && d.id != new.id
                    && matches!(d.state, DeliveryState::Pending | DeliveryState::Dead)
                    && new.waits_for.iter().any(|w| w.matches(d.kind))
            })
            .map(|row| row.delivery.id)
            .collect();
        if let Some(row) = state.outbox.get_mut(first + offset) {
            row.waits = waits;
        }
    }
}

/// Whether an operator may requeue or resolve `row` at `now`: parked, or pending with no live
/// lease.
pub(super) fn open_at(row: &Row, now: DateTime<Utc>) -> bool {
    match row.delivery.state {
        DeliveryState::Dead => true,
        DeliveryState::Pending => row.lease.is_none_or(|(_, until)| until <= now),
        _ => false,
    }
}

/// Whether every row `row` waits for is delivered or resolved.
pub(super) fn released(state: &State, row: &Row) -> bool {
    row.waits.iter().all(|id| {
        state
            .outbox
            .iter()
            .find(|r| r.delivery.id == *id)
            .is_none_or(|r| r.delivery.state.releases_waiters())
    })
}

/// Records an attempt's outcome on the row `lease` holds, as `DeliveryQueue::complete` does.
pub(super) fn record(
    state: &mut State,
    lease: &Lease,
    result: &AttemptResult,
    event: &OrderEvent,
) -> Result<(), LeaseError> {
    let Some(row) = state
        .outbox
        .iter_mut()
        .find(|r| r.delivery.id == lease.delivery)
        .filter(|r| r.lease.is_some_and(|(token, _)| token == lease.token))
    else {
        return Err(LeaseError::Lost(lease.delivery));
    };
    let delivery = &mut row.delivery;
    row.lease = None;
    delivery.attempts = delivery.attempts.saturating_add(1);
    match result {
        AttemptResult::Delivered { remote_ref, at } => {
            delivery.state = DeliveryState::Delivered;
            delivery.remote_ref.clone_from(remote_ref);
            delivery.delivered_at = Some(*at);
        }
        AttemptResult::Retry { at, error } => {
            delivery.next_attempt_at = *at;
            delivery.last_error = Some(error.clone());
        }
        AttemptResult::Dead { error } => {
            delivery.state = DeliveryState::Dead;
            delivery.last_error = Some(error.clone());
        }
    }
    let order = delivery.order_id;
    super::append_event(state, order, event);
    Ok(())
}

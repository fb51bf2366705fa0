//! The in-memory store's outbox rows and the rules the SQL stores apply in their statements:
//! what a queued row waits for, superseding a whole-order call, and when an operator may act;
//! and its delivery queue: claims, outcomes, leases.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::order::OrderEvent;
use crate::outbox::{Delivery, DeliveryState, NewDelivery};
use crate::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, Lease, LeaseError, StoreError,
    lease_end,
};
use crate::values::DeliveryId;

use super::{AlertRow, MemoryStore, State, held_back};

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

#[async_trait]
impl DeliveryQueue for MemoryStore {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        let mut state = self.state()?;
        let clock = self.clock.now();
        let until = lease_end(clock, request.lease);
        let mut due: Vec<usize> = Vec::new();
        for (index, row) in state.outbox.iter().enumerate() {
            if row.delivery.state == DeliveryState::Pending
                && row.delivery.next_attempt_at <= request.now
                && row.lease.is_none_or(|(_, until)| until <= clock)
                && !request.skip_channels.contains(&row.delivery.channel)
                && match &request.probe {
                    Some(channel) => row.delivery.channel == *channel,
                    None => !held_back(&state, &row.delivery.channel, request.now),
                }
                && released(&state, row)
            {
                due.push(index);
            }
        }
        // Oldest due first, then queue order, as the SQL stores do.
        due.sort_by_key(|&index| {
            state
                .outbox
                .get(index)
                .map(|row| (row.delivery.next_attempt_at, index))
        });
        due.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
        let mut claimed = Vec::with_capacity(due.len());
        for index in due {
            if let Some(row) = state.outbox.get_mut(index) {
                row.lease = Some((request.token, until));
                claimed.push(Claimed {
                    delivery: row.delivery.clone(),
                    lease: Lease {
                        delivery: row.delivery.id,
                        token: request.token,
                        until,
                    },
                });
            }
        }
        Ok(claimed)
    }

    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        record(
            &mut *self.state()?,
            lease,
            &result.cleaned(),
            &event.cleaned(),
        )
    }

    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        let mut state = self.state()?;
        let mut recorded = Vec::with_capacity(completions.len());
        for c in completions.iter().map(Completion::cleaned) {
            match record(&mut state, &c.lease, &c.result, &c.event) {
                Ok(()) => {
                    state.alerts.extend(c.alert.iter().map(AlertRow::new));
                    recorded.push(true);
                }
                Err(LeaseError::Lost(_)) => recorded.push(false),
                Err(LeaseError::Store(error)) => return Err(error),
            }
        }
        Ok(recorded)
    }

    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let until = lease_end(self.clock.now(), length);
        let mut state = self.state()?;
        let held = state
            .outbox
            .iter_mut()
            .find(|r| r.delivery.id == lease.delivery)
            .filter(|r| r.lease.is_some_and(|(token, _)| token == lease.token));
        Ok(held.map(|row| {
            row.lease = Some((lease.token, until));
            until
        }))
    }

    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let mut released = 0;
        for row in &mut state.outbox {
            if row.lease.is_some_and(|(t, _)| tokens.contains(&t)) {
                row.lease = None;
                released += 1;
            }
        }
        Ok(released)
    }
}

//! Outbox rows: a stored row as a [`Delivery`], an attempt's result as the columns it writes,
//! a claimed row with its lease, and the queue's depth.

use chrono::{DateTime, Utc};
use orderbridge_domain::outbox::{Delivery, DeliveryState};
use orderbridge_domain::ports::store::{
    AttemptResult, Claimed, Lease, RequeueError, ResolveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, OrderId};
use uuid::Uuid;

use crate::codec::{corrupt, count, delivery_kind, delivery_state};
use crate::columns::Columns;

/// The outbox columns [`delivery`] reads.
pub const COLUMNS: &str = "id, order_id, channel, kind, subject, line_no, state, attempts, \
     created_at, next_attempt_at, last_error, remote_ref, delivered_at";

/// A stored outbox row (the [`COLUMNS`]) as a delivery.
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn delivery(row: &impl Columns) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: DeliveryId::from_uuid(row.uuid("id")?),
        order_id: OrderId::from_uuid(row.uuid("order_id")?),
        channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
        kind: delivery_kind(
            &row.text("kind")?,
            row.opt_uuid("subject")?,
            row.opt_int("line_no")?,
        )?,
        state: delivery_state(&row.text("state")?)?,
        attempts: count(row.int("attempts")?, "attempts")?,
        created_at: row.time("created_at")?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        remote_ref: row.opt_text("remote_ref")?,
        delivered_at: row.opt_time("delivered_at")?,
    })
}

/// A row claimed with `token`, with the lease (running out at `until`, by the store's clock)
/// that lets its claimer record the outcome.
#[must_use]
pub fn claimed(delivery: Delivery, token: Uuid, until: DateTime<Utc>) -> Claimed {
    Claimed {
        lease: Lease {
            delivery: delivery.id,
            token,
            until,
        },
        delivery,
    }
}

/// What recording an attempt writes besides counting it and releasing its lease; a `None`
/// keeps the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<'a> {
    /// The row's new state.
    pub state: DeliveryState,
    /// When it is due again (a retry).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What went wrong (a retry or a parked row).
    pub error: Option<&'a str>,
    /// The marketplace's reference (delivered).
    pub remote_ref: Option<&'a str>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl<'a> Outcome<'a> {
    /// The columns `result` writes.
    #[must_use]
    pub fn of(result: &'a AttemptResult) -> Self {
        let none = Self {
            state: DeliveryState::Pending,
            next_attempt_at: None,
            error: None,
            remote_ref: None,
            delivered_at: None,
        };
        match result {
            AttemptResult::Delivered { remote_ref, at } => Self {
                state: DeliveryState::Delivered,
                remote_ref: remote_ref.as_deref(),
                delivered_at: Some(*at),
                ..none
            },
            AttemptResult::Retry { at, error } => Self {
                next_attempt_at: Some(*at),
                error: Some(error.as_str()),
                ..none
            },
            AttemptResult::Dead { error } => Self {
                state: DeliveryState::Dead,
                error: Some(error.as_str()),
                ..none
            },
        }
    }
}

/// Why a requeue changed nothing: the row is in `state`, or (`None`) there is no such row.
#[must_use]
pub fn refused(id: DeliveryId, state: Option<DeliveryState>) -> RequeueError {
    match state {
        Some(state) => RequeueError::NotDead { id, state },
        None => RequeueError::NotFound(id),
    }
}

/// Why a resolve changed nothing: the row is in `state` (pending: a sender holds it), or
/// (`None`) there is no such row.
#[must_use]
pub fn unresolvable(id: DeliveryId, state: Option<DeliveryState>) -> ResolveError {
    match state {
        Some(DeliveryState::Pending) => ResolveError::InFlight(id),
        Some(state) => ResolveError::Closed { id, state },
        None => ResolveError::NotFound(id),
    }
}

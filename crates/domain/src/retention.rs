//! Retention of personal data (design section 11, "Personal data"): with `retention.days` set,
//! an order's customer contact, shipping address, raw payload and free-text notes are erased
//! that many days after the order is complete; lines, totals, shipments and history stay, and
//! the history records the erasure. A quarantined inbound body is erased that many days after
//! it was replayed or discarded; never while it is still rejected.
//!
//! The rule, written here once and applied by every store (inside the erasing transaction too):
//!
//! - An order is complete when every unit is shipped or cancelled (its status is `fulfilled`
//!   or `cancelled`) and every delivery of it is finished: delivered, resolved or superseded;
//!   one pending (in flight among them) or parked keeps it open.
//! - It has been complete since the latest of its last change (`updated_at`), its latest
//!   history entry and its latest delivery. Every delivery outcome and every resolve writes a
//!   history entry, so the entry's time is when the last delivery finished; a superseded
//!   delivery is superseded by a save, which moves `updated_at`.
//! - It is due when it has been complete since at or before the cutoff (`now` less the
//!   retention) and was not erased before.

use std::num::NonZeroU32;

use chrono::{DateTime, TimeDelta, Utc};

use crate::inbound::InboundState;
use crate::order::{EventType, Order, OrderEvent, OrderStatus};
use crate::outbox::{Delivery, DeliveryState};
use crate::values::{ChannelId, EventId, ExternalOrderId, InboundId, OrderId};

/// How long personal data is kept once an order is complete (`retention.days`): at least a
/// day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPeriod(NonZeroU32);

impl RetentionPeriod {
    /// `days` days; `None` for zero.
    #[must_use]
    pub fn days(days: u32) -> Option<Self> {
        NonZeroU32::new(days).map(Self)
    }

    /// The number of days.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// What became complete (or was closed) at or before this time is due at `now`.
    #[must_use]
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - TimeDelta::days(i64::from(self.0.get()))
    }
}

/// One delivery of an order as the rule sees it. A store may give one per delivery, or one
/// per state with the latest `delivered_at` of that state's deliveries: the rule reads the
/// same from both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryActivity {
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What decides whether an order is complete, and since when: what a store reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderActivity {
    /// Its status (derived from the line tallies on every save).
    pub status: OrderStatus,
    /// Its last change.
    pub updated_at: DateTime<Utc>,
    /// Its latest history entry.
    pub last_event_at: Option<DateTime<Utc>>,
    /// Its deliveries.
    pub deliveries: Vec<DeliveryActivity>,
    /// When its personal data was erased, if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

impl OrderActivity {
    /// The activity of a loaded order with its deliveries.
    #[must_use]
    pub fn of(order: &Order, deliveries: &[Delivery]) -> Self {
        Self {
            status: order.status(),
            updated_at: order.updated_at(),
            last_event_at: order.events().iter().map(|e| e.at).max(),
            deliveries: deliveries
                .iter()
                .filter(|d| d.order_id == order.id())
                .map(|d| DeliveryActivity {
                    state: d.state,
                    delivered_at: d.delivered_at,
                })
                .collect(),
            erased_at: order.erased_at(),
        }
    }

    /// When the order became complete; `None` while it is not.
    #[must_use]
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        if !self.status.is_settled() || self.deliveries.iter().any(|d| !d.state.is_finished()) {
            return None;
        }
        Some(
            self.deliveries
                .iter()
                .filter_map(|d| d.delivered_at)
                .chain(self.last_event_at)
                .fold(self.updated_at, DateTime::max),
        )
    }

    /// When the order became complete, if its personal data is due for erasure at `cutoff`:
    /// complete at or before it, and not erased yet.
    #[must_use]
    pub fn due(&self, cutoff: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.erased_at.is_some() {
            return None;
        }
        self.completed_at().filter(|at| *at <= cutoff)
    }
}

/// Whether a quarantined entry's body is due for erasure at `cutoff`: replayed or discarded
/// at or before it, and not erased yet. A rejected entry's body is never due.
#[must_use]
pub fn inbound_due(
    state: InboundState,
    closed_at: Option<DateTime<Utc>>,
    erased_at: Option<DateTime<Utc>>,
    cutoff: DateTime<Utc>,
) -> bool {
    state != InboundState::Rejected
        && erased_at.is_none()
        && closed_at.is_some_and(|at| at <= cutoff)
}

/// An order whose personal data is due for erasure. Holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOrder {
    /// The order.
    pub id: OrderId,
    /// Its channel account.
    pub channel: ChannelId,
    /// The marketplace's id.
    pub external_id: ExternalOrderId,
    /// When it became complete.
    pub completed_at: DateTime<Utc>,
}

/// A quarantined entry whose body is due for erasure. Holds no part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInbound {
    /// The entry.
    pub id: InboundId,
    /// Its channel account.
    pub channel: ChannelId,
    /// The marketplace's order id, when one was found.
    pub external_id: Option<String>,
    /// Replayed or discarded.
    pub state: InboundState,
    /// When it was replayed or discarded.
    pub closed_at: DateTime<Utc>,
}

/// The erasure of one order's personal data, with the history entry that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The order.
    pub order: OrderId,
    /// The `personal_data_erased` entry; its time is the erasure's.
    pub event: OrderEvent,
}

impl Erasure {
    /// The erasure of `due`'s personal data at `now` under `period`, recorded by the entry
    /// `event_id` (whose detail names what was erased and why, never a value).
    #[must_use]
    pub fn of(
        due: &DueOrder,
        period: RetentionPeriod,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            order: due.id,
            event: OrderEvent {
                id: event_id,
                at: now,
                kind: EventType::PersonalDataErased,
                subject: None,
                detail: format!(
                    "customer email, shipping address, raw payload and notes erased: complete \
                     since {}, kept {} days",
                    due.completed_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    period.get()
                ),
            },
        }
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;

//! What the marketplace says of an order after it arrived (design section 11): a cancellation
//! on its side, which cancels every unit not shipped and is never reported back, and a hold
//! (FeedAMP's `paused`), which refuses shipments until the marketplace releases it.

use chrono::{DateTime, Utc};

use crate::order::allocate::all_open;
use crate::order::{CancelReason, Cancellation, EventType, Order};
use crate::values::{CancellationId, CleanText, EventId, InvalidValue};

/// Who cancelled units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CancelOrigin {
    /// The warehouse or seller, through the API: reported to the marketplace.
    #[default]
    Warehouse,
    /// The marketplace itself: recorded, never reported back.
    Marketplace,
}

impl CancelOrigin {
    /// The snake-case name used in the API and in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warehouse => "warehouse",
            Self::Marketplace => "marketplace",
        }
    }

    /// Parses a name written by [`CancelOrigin::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        [Self::Warehouse, Self::Marketplace]
            .into_iter()
            .find(|o| o.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "cancellation origin",
                expected: "warehouse or marketplace",
            })
    }
}

/// The marketplace's side of an order, as last heard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarketplaceState {
    /// Paused at the marketplace (FeedAMP's `paused`): shipments are refused until released.
    pub on_hold: bool,
    /// When the marketplace cancelled the order, if it did.
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// A cancellation the marketplace made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceCancel {
    /// Why, mapped to orderbridge's reasons.
    pub reason: CancelReason,
    /// The marketplace's own words for it (its reason as sent, a state), for the history.
    pub note: Option<String>,
    /// When the marketplace says it cancelled.
    pub at: DateTime<Utc>,
}

impl MarketplaceCancel {
    /// How the note is cleaned: one line (it goes into a history entry) of at most 200
    /// characters.
    pub const NOTE: CleanText = CleanText::line(200);
}

/// What a marketplace cancellation did to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketplaceCancelled {
    /// Applied now: `cancelled` units cancelled; `shipped` units had shipped already (an
    /// operator must sort those out with the marketplace).
    Applied {
        /// Units cancelled.
        cancelled: u64,
        /// Units shipped before the cancellation came.
        shipped: u64,
    },
    /// The order already knew of it; nothing changed.
    Known,
}

impl Order {
    /// The marketplace's side of the order.
    #[must_use]
    pub fn marketplace(&self) -> MarketplaceState {
        self.marketplace
    }

    /// True while the marketplace holds the order: shipments are refused.
    #[must_use]
    pub fn on_hold(&self) -> bool {
        self.marketplace.on_hold
    }

    /// Applies a cancellation the marketplace made: every unit not shipped is cancelled (a
    /// cancellation of origin [`CancelOrigin::Marketplace`], never reported back) and the
    /// history says so, naming what had shipped already. Once the order knows of one, another
    /// changes nothing ([`MarketplaceCancelled::Known`]), so re-reads and retries are harmless.
    pub fn cancel_by_marketplace(
        &mut self,
        cancel: &MarketplaceCancel,
        id: CancellationId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> MarketplaceCancelled {
        if self.marketplace.cancelled_at.is_some() {
            return MarketplaceCancelled::Known;
        }
        let shipped = self.units_shipped();
        let allocations = all_open(&self.lines);
        let cancelled: u64 = allocations
            .iter()
            .map(|a| u64::from(a.quantity.get()))
            .sum();
        self.marketplace.cancelled_at = Some(cancel.at);
        self.updated_at = now;
        let note = MarketplaceCancel::NOTE.clean_opt(cancel.note.as_deref());
        let why = note.as_deref().map_or(String::new(), |n| format!(": {n}"));
        let subject = (cancelled > 0).then(|| {
            for allocation in &allocations {
                if let Some(line) = self.lines.get_mut(allocation.line.index()) {
                    line.cancelled += allocation.quantity.get();
                }
            }
            self.cancellations.push(Cancellation {
                id,
                reason: cancel.reason,
                whole_order: true,
                note,
                lines: allocations,
                created_at: now,
                origin: CancelOrigin::Marketplace,
            });
            id.as_uuid()
        });
        let shipped_note = if shipped > 0 {
            format!("; {shipped} units had shipped already")
        } else {
            String::new()
        };
        let detail = format!(
            "cancelled by the marketplace ({}){why}: {cancelled} units cancelled{shipped_note}",
            cancel.reason.as_str()
        );
        self.push_event(event_id, now, EventType::Cancelled, subject, detail);
        MarketplaceCancelled::Applied { cancelled, shipped }
    }

    /// Puts the order on hold at the marketplace's word, or releases it; `false` (nothing
    /// changed, no history) when it already stood so.
    pub fn set_hold(&mut self, on_hold: bool, event_id: EventId, now: DateTime<Utc>) -> bool {
        if self.marketplace.on_hold == on_hold {
            return false;
        }
        self.marketplace.on_hold = on_hold;
        self.updated_at = now;
        let (kind, detail) = if on_hold {
            (
                EventType::Held,
                "on hold at the marketplace: shipments are refused until it is released",
            )
        } else {
            (
                EventType::Released,
                "released by the marketplace: it may ship",
            )
        };
        self.push_event(event_id, now, kind, None, detail.to_owned());
        true
    }
}

//! An order's history (design rule 9): every accepted change appends one entry.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::values::{CleanText, EventId, InvalidValue};

/// What kind of change an [`OrderEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The order was received from its marketplace and stored.
    Received,
    /// The marketplace acknowledged that orderbridge has the order.
    Confirmed,
    /// The warehouse recorded a shipment.
    Fulfilled,
    /// Units, or the whole order, were cancelled.
    Cancelled,
    /// Money was refunded.
    Refunded,
    /// A queued delivery reached the marketplace.
    Delivered,
    /// A delivery attempt failed (it is retried, or parked when the failure is final).
    DeliveryFailed,
    /// An operator put a parked delivery back in the queue.
    DeliveryRequeued,
    /// An operator marked a delivery as done by hand on the marketplace.
    DeliveryResolved,
    /// A change was recorded but the marketplace has no endpoint to receive it.
    NotReported,
    /// The marketplace put the order on hold: shipments are refused.
    Held,
    /// The marketplace released a held order.
    Released,
    /// The customer's personal data was erased under `retention.days` (design section 11);
    /// lines, totals and history stay.
    PersonalDataErased,
}

impl EventType {
    /// Every event type, for round-trip tests and schema listings.
    pub const ALL: [Self; 13] = [
        Self::Received,
        Self::Confirmed,
        Self::Fulfilled,
        Self::Cancelled,
        Self::Refunded,
        Self::Delivered,
        Self::DeliveryFailed,
        Self::DeliveryRequeued,
        Self::DeliveryResolved,
        Self::NotReported,
        Self::Held,
        Self::Released,
        Self::PersonalDataErased,
    ];

    /// The snake-case name used in storage and in the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Confirmed => "confirmed",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Delivered => "delivered",
            Self::DeliveryFailed => "delivery_failed",
            Self::DeliveryRequeued => "delivery_requeued",
            Self::DeliveryResolved => "delivery_resolved",
            Self::NotReported => "not_reported",
            Self::Held => "held",
            Self::Released => "released",
            Self::PersonalDataErased => "personal_data_erased",
        }
    }

    /// Parses the name written by [`EventType::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] for any other text.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "event type",
                expected: "a known event type",
            })
    }
}

/// One entry of an order's history. `detail` is a short human-readable summary that never
/// holds customer personal data; `subject` is the id of the fulfillment, cancellation, refund
/// or delivery the entry is about, where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    /// The entry's id (time-ordered).
    pub id: EventId,
    /// When the change was accepted.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventType,
    /// The entity the entry is about.
    pub subject: Option<Uuid>,
    /// A summary such as `tracking 1Z999 (2 units)`.
    pub detail: String,
}

impl OrderEvent {
    /// How a detail is kept: one line of at most 4000 characters.
    pub const DETAIL: CleanText = CleanText::line(4_000);

    /// The entry with its detail cleaned by [`OrderEvent::DETAIL`].
    #[must_use]
    pub fn cleaned(&self) -> Self {
        Self {
            detail: Self::DETAIL.clean(&self.detail).unwrap_or_default(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn every_event_type_round_trips_through_its_name() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Ok(kind));
        }
        assert!(EventType::parse("shipped").is_err());
    }
}

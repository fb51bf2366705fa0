//! Alerts to operators (design section 11): what went wrong, for whom, queued in the same
//! transaction as the change that caused it and sent by the dispatcher to the alerts webhook, so
//! that an alert is never lost and never blocks a marketplace.

use chrono::{DateTime, Utc};

use crate::values::{AlertId, ChannelId, DeliveryId, InvalidValue, OrderId};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// A delivery was parked for an operator.
    DeliveryParked,
    /// A channel was paused (credentials refused, or by an operator).
    ChannelPaused,
    /// A paused channel resumed.
    ChannelResumed,
    /// A marketplace sent an order that could not be read; it is kept in quarantine.
    InboundRejected,
    /// A marketplace cancelled an order of which something had shipped already.
    MarketplaceCancelledAfterShipment,
    /// An order is past the marketplace's ship-by or deliver-by deadline with units still
    /// open; raised once per order.
    OrderOverdue,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [Self; 6] = [
        Self::DeliveryParked,
        Self::ChannelPaused,
        Self::ChannelResumed,
        Self::InboundRejected,
        Self::MarketplaceCancelledAfterShipment,
        Self::OrderOverdue,
    ];

    /// The snake-case name used in storage and in the alert's JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeliveryParked => "delivery_parked",
            Self::ChannelPaused => "channel_paused",
            Self::ChannelResumed => "channel_resumed",
            Self::InboundRejected => "inbound_rejected",
            Self::MarketplaceCancelledAfterShipment => "marketplace_cancelled_after_shipment",
            Self::OrderOverdue => "order_overdue",
        }
    }

    /// Parses a name written by [`AlertKind::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "alert kind",
                expected: "a known alert kind",
            })
    }
}

/// One alert. `message` never holds customer personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Its id; the alerts webhook's `webhook-id`, the same on every attempt.
    pub id: AlertId,
    /// What it is about.
    pub kind: AlertKind,
    /// The channel account concerned.
    pub channel: ChannelId,
    /// The order concerned, where there is one.
    pub order_id: Option<OrderId>,
    /// The delivery concerned, where there is one.
    pub delivery_id: Option<DeliveryId>,
    /// What happened, in a sentence.
    pub message: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Alert {
    /// A one-line summary for chat tools (Slack's `text`).
    #[must_use]
    pub fn text(&self) -> String {
        let title = match self.kind {
            AlertKind::DeliveryParked => "Delivery parked",
            AlertKind::ChannelPaused => "Channel paused",
            AlertKind::ChannelResumed => "Channel resumed",
            AlertKind::InboundRejected => "Inbound order rejected",
            AlertKind::MarketplaceCancelledAfterShipment => "Cancelled after shipment",
            AlertKind::OrderOverdue => "Order overdue",
        };
        format!(
            "[orderbridge] {title} on {}: {}",
            self.channel, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::{Alert, AlertKind};
    use crate::values::{AlertId, ChannelId, OrderId};

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(AlertKind::OrderOverdue.as_str(), "order_overdue");
        assert!(AlertKind::parse("order_late").is_err());
    }

    #[test]
    fn an_overdue_alert_says_so_in_its_text() {
        let alert = Alert {
            id: AlertId::from_uuid(uuid::Uuid::from_u128(1)),
            kind: AlertKind::OrderOverdue,
            channel: ChannelId::parse("adm").unwrap(),
            order_id: Some(OrderId::from_uuid(uuid::Uuid::from_u128(2))),
            delivery_id: None,
            message: "order 1001 is past its deadline".to_owned(),
            at: DateTime::UNIX_EPOCH,
        };
        assert_eq!(
            alert.text(),
            "[orderbridge] Order overdue on adm: order 1001 is past its deadline"
        );
    }
}

//! The order status, derived from unit tallies and never stored on its own (design rule 6).

use crate::values::InvalidValue;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// Nothing shipped or cancelled yet.
    Open,
    /// Some units shipped or cancelled, others still open.
    PartiallyFulfilled,
    /// Every unit shipped or cancelled, at least one shipped.
    Fulfilled,
    /// Every unit cancelled.
    Cancelled,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [
        Self::Open,
        Self::PartiallyFulfilled,
        Self::Fulfilled,
        Self::Cancelled,
    ];

    /// The status for these unit counts.
    #[must_use]
    pub fn derive(ordered: u64, shipped: u64, cancelled: u64) -> Self {
        let settled = shipped.saturating_add(cancelled);
        if settled == 0 {
            Self::Open
        } else if settled < ordered {
            Self::PartiallyFulfilled
        } else if shipped == 0 {
            Self::Cancelled
        } else {
            Self::Fulfilled
        }
    }

    /// Whether every unit is shipped or cancelled (fulfilled or cancelled).
    #[must_use]
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Fulfilled | Self::Cancelled)
    }

    /// The snake-case name used in the API and in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::PartiallyFulfilled => "partially_fulfilled",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a name written by [`OrderStatus::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `status` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "status",
                expected: "one of open, partially_fulfilled, fulfilled, cancelled",
            })
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus;

    #[test]
    fn status_is_derived_from_unit_counts() {
        assert_eq!(OrderStatus::derive(4, 0, 0), OrderStatus::Open);
        assert_eq!(
            OrderStatus::derive(4, 1, 0),
            OrderStatus::PartiallyFulfilled
        );
        assert_eq!(
            OrderStatus::derive(4, 0, 1),
            OrderStatus::PartiallyFulfilled
        );
        assert_eq!(OrderStatus::derive(4, 4, 0), OrderStatus::Fulfilled);
        assert_eq!(OrderStatus::derive(4, 1, 3), OrderStatus::Fulfilled);
        assert_eq!(OrderStatus::derive(4, 0, 4), OrderStatus::Cancelled);
    }

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Ok(status));
        }
        assert!(OrderStatus::parse("shipped").is_err());
    }
}

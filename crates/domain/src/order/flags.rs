//! What was unreadable in an order when it arrived. A field that only informs never rejects an
//! order (design section 11): it is kept as given, or replaced or left out where it cannot be,
//! and the order carries a flag naming the field so that people can look.

use crate::values::{Address, ChannelId, Email, InvalidValue};

/// One thing about an order that the marketplace sent in a form orderbridge could not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderFlag {
    /// The email is not an address (kept as given) or was not text (left out).
    EmailUnreadable,
    /// The shipping address, or one of its fields, was not text; that part is left out.
    AddressUnreadable,
    /// The country is neither a known code nor a known name; it is kept as given, without a
    /// two-letter code.
    CountryUnknown,
    /// The time the order was placed could not be read; the time it was received stands in.
    PlacedAtUnreadable,
    /// The deliver-by date could not be read; the order has none.
    DeliverByUnreadable,
    /// The marketplace's cancellation time could not be read.
    CancelledAtUnreadable,
    /// The requested shipping service was not text; the order has none.
    ShippingServiceUnreadable,
}

impl OrderFlag {
    /// Every flag, in the order an order lists them.
    pub const ALL: [Self; 7] = [
        Self::EmailUnreadable,
        Self::AddressUnreadable,
        Self::CountryUnknown,
        Self::PlacedAtUnreadable,
        Self::DeliverByUnreadable,
        Self::CancelledAtUnreadable,
        Self::ShippingServiceUnreadable,
    ];

    /// The snake-case name used in storage, in the API and in the order's history.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailUnreadable => "email_unreadable",
            Self::AddressUnreadable => "address_unreadable",
            Self::CountryUnknown => "country_unknown",
            Self::PlacedAtUnreadable => "placed_at_unreadable",
            Self::DeliverByUnreadable => "deliver_by_unreadable",
            Self::CancelledAtUnreadable => "cancelled_at_unreadable",
            Self::ShippingServiceUnreadable => "shipping_service_unreadable",
        }
    }

    /// Parses the name written by [`OrderFlag::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] for any other text.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "order flag",
                expected: "a known order flag",
            })
    }
}

impl std::fmt::Display for OrderFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new order's flags: the adapter's, plus an unreadable email and an unknown country seen
/// in the values themselves; once each, in [`OrderFlag::ALL`] order.
pub(super) fn of_new(
    mut flags: Vec<OrderFlag>,
    email: Option<&Email>,
    address: Option<&Address>,
) -> Vec<OrderFlag> {
    if email.is_some_and(|e| !e.is_readable()) {
        flags.push(OrderFlag::EmailUnreadable);
    }
    if address.is_some_and(Address::country_unknown) {
        flags.push(OrderFlag::CountryUnknown);
    }
    flags.sort_unstable();
    flags.dedup();
    flags
}

/// The `received` history entry: the channel, the units and the flags by name (never a value).
pub(super) fn received_detail(channel: &ChannelId, units: u64, flags: &[OrderFlag]) -> String {
    let received = format!("received from {channel} ({units} units)");
    if flags.is_empty() {
        return received;
    }
    let names: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
    format!("{received}; flagged: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::{OrderFlag, of_new};
    use crate::values::{Address, Email};

    #[test]
    fn every_flag_round_trips_through_its_name() {
        for flag in OrderFlag::ALL {
            assert_eq!(OrderFlag::parse(flag.as_str()), Ok(flag));
        }
        assert!(OrderFlag::parse("email").is_err());
    }

    #[test]
    fn the_values_add_their_own_flags_once_each_in_order() {
        let email = Email::read("jane at example");
        let mut address = Address::default();
        address.set_country("Atlantis");
        let flags = of_new(
            vec![OrderFlag::DeliverByUnreadable, OrderFlag::EmailUnreadable],
            email.as_ref(),
            Some(&address),
        );
        assert_eq!(
            flags,
            [
                OrderFlag::EmailUnreadable,
                OrderFlag::CountryUnknown,
                OrderFlag::DeliverByUnreadable
            ]
        );
        let readable = Email::read("jane@example.com");
        assert_eq!(of_new(Vec::new(), readable.as_ref(), None), []);
    }
}

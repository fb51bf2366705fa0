//! Identifiers: orderbridge's own (UUIDs) and the marketplaces' (text).

use uuid::Uuid;

use crate::values::InvalidValue;
use crate::values::text::bounded_text;

/// Defines a newtype over [`Uuid`] for one kind of entity.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID (from the id generator or from storage).
            #[must_use]
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the hyphenated text form.
            ///
            /// # Errors
            /// [`InvalidValue::Malformed`] when the text is not a UUID.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| InvalidValue::Malformed {
                    what: stringify!($name),
                    expected: "a UUID",
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    };
}

uuid_id!(
    /// orderbridge's id for an order.
    OrderId
);
uuid_id!(
    /// orderbridge's id for a fulfillment (one shipment).
    FulfillmentId
);
uuid_id!(
    /// orderbridge's id for a cancellation.
    CancellationId
);
uuid_id!(
    /// orderbridge's id for a refund.
    RefundId
);
uuid_id!(
    /// orderbridge's id for an entry in an order's history.
    EventId
);
uuid_id!(
    /// orderbridge's id for a queued delivery to a marketplace (an outbox row).
    DeliveryId
);
uuid_id!(
    /// orderbridge's id for an alert to operators.
    AlertId
);
uuid_id!(
    /// orderbridge's id for an inbound order kept in quarantine.
    InboundId
);

bounded_text!(
    /// The marketplace's id for an order: ADM's `id`, FeedAMP's `id`. Kept as text end to end
    /// (FeedAMP's are 18 digits, beyond what a JSON number carries exactly).
    ExternalOrderId,
    "order id",
    128
);

impl ExternalOrderId {
    /// The id as an integer when it is all ASCII digits and fits `u64`, which is how ADM wants
    /// it echoed and sent (design section 4).
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        if self.0.bytes().all(|b| b.is_ascii_digit()) {
            self.0.parse().ok()
        } else {
            None
        }
    }
}

/// The channel account an order came from, such as `adm` or `feedamp-eu`: lowercase ASCII
/// letters, digits, `-` and `_`, starting with a letter, at most 32 characters. The app maps
/// each channel id to one marketplace adapter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(String);

impl ChannelId {
    /// Parses a channel id.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `channel` for any other shape.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let malformed = InvalidValue::Malformed {
            what: "channel",
            expected: "1 to 32 lowercase letters, digits, '-' or '_', starting with a letter",
        };
        let starts_with_letter = raw.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        let allowed = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if raw.len() > 32 || !starts_with_letter || !allowed {
            return Err(malformed);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChannelId({:?})", self.0)
    }
}

/// The position of a line within its order, counted from 1 in the order the marketplace sent
/// the lines. Stable for the life of the order; the warehouse API names lines by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineNo(u32);

impl LineNo {
    /// Builds a line number.
    ///
    /// # Errors
    /// [`InvalidValue::OutOfRange`] for 0.
    pub fn new(value: u32) -> Result<Self, InvalidValue> {
        if value == 0 {
            return Err(InvalidValue::OutOfRange {
                what: "line number",
                range: "at least 1",
            });
        }
        Ok(Self(value))
    }

    /// The line number for the line at zero-based `index`.
    pub(crate) fn from_index(index: usize) -> Self {
        Self(u32::try_from(index).map_or(u32::MAX, |i| i.saturating_add(1)))
    }

    /// The number, from 1.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0
    }

    /// The zero-based index of this line in its order.
    #[must_use]
    pub fn index(self) -> usize {
        usize::try_from(self.0 - 1).unwrap_or(usize::MAX)
    }
}

impl std::fmt::Display for LineNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::{ChannelId, ExternalOrderId, LineNo, OrderId};

    #[test]
    fn an_all_digit_external_id_is_also_an_integer() {
        let id = ExternalOrderId::parse("987654321").ok();
        assert_eq!(id.and_then(|i| i.as_u64()), Some(987_654_321));
    }

    #[test]
    fn an_external_id_beyond_u64_stays_text_only() {
        let id = ExternalOrderId::parse("123456789012345678901234").ok();
        assert_eq!(id.as_ref().and_then(ExternalOrderId::as_u64), None);
        assert_eq!(
            id.map(|i| i.to_string()),
            Some("123456789012345678901234".to_owned())
        );
    }

    #[test]
    fn an_external_id_with_letters_is_not_an_integer() {
        let id = ExternalOrderId::parse("A-100").ok();
        assert_eq!(id.and_then(|i| i.as_u64()), None);
    }

    #[test]
    fn channel_ids_are_lowercase_slugs() {
        assert!(ChannelId::parse("adm").is_ok());
        assert!(ChannelId::parse("feedamp-eu_2").is_ok());
        assert!(ChannelId::parse("ADM").is_err());
        assert!(ChannelId::parse("").is_err());
        assert!(ChannelId::parse("1adm").is_err());
        assert!(ChannelId::parse(&"a".repeat(33)).is_err());
    }

    #[test]
    fn line_numbers_start_at_one() {
        assert!(LineNo::new(0).is_err());
        assert_eq!(LineNo::from_index(0).get(), 1);
        assert_eq!(LineNo::from_index(4).index(), 4);
    }

    #[test]
    fn uuid_ids_round_trip_through_text() {
        let id = OrderId::parse("0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b");
        assert_eq!(
            id.map(|i| i.to_string()).as_deref(),
            Ok("0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b")
        );
        assert!(OrderId::parse("not-a-uuid").is_err());
    }
}

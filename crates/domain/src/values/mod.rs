//! Value types: parsed once at the edge, valid by construction, fields private.

mod contact;
mod country;
mod ids;
mod money;
mod quantity;
mod secret;
pub(crate) mod text;
mod tracking;

pub use contact::{Address, Email};
pub use country::CountryCode;
pub use ids::{
    AlertId, CancellationId, ChannelId, DeliveryId, EventId, ExternalOrderId, FulfillmentId,
    InboundId, LineNo, OrderId, RefundId,
};
pub use money::{Currency, Money, MoneyError};
pub use quantity::Quantity;
pub use secret::{ApiKeys, Secret};
pub use text::CleanText;
pub use tracking::{Carrier, Sku, TrackingNumber, TrackingUrl};

/// Why a value could not be parsed. `what` names the value (`"sku"`, `"tracking number"`), so
/// an adapter can prefix the field path it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    /// The value is empty or only whitespace.
    #[error("{what} must not be empty")]
    Empty {
        /// The value's name.
        what: &'static str,
    },
    /// The value is longer than allowed.
    #[error("{what} must be at most {max} characters")]
    TooLong {
        /// The value's name.
        what: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// The value holds control characters.
    #[error("{what} must not contain control characters")]
    NotPrintable {
        /// The value's name.
        what: &'static str,
    },
    /// The value has the wrong shape; `expected` says which shape is accepted.
    #[error("{what} is malformed: expected {expected}")]
    Malformed {
        /// The value's name.
        what: &'static str,
        /// The accepted shape, in words.
        expected: &'static str,
    },
    /// The number is outside the accepted range.
    #[error("{what} must be {range}")]
    OutOfRange {
        /// The value's name.
        what: &'static str,
        /// The accepted range, in words.
        range: &'static str,
    },
}

//! A positive count of units.

use crate::values::InvalidValue;

/// A number of units, at least 1. Line, fulfillment and cancellation quantities use it; tallies
/// that may be zero (shipped so far) are plain `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(u32);

impl Quantity {
    /// The largest quantity accepted on one line (guards sums against overflow).
    pub const MAX: u32 = 1_000_000;

    /// Builds a quantity from 1 to [`Self::MAX`].
    ///
    /// # Errors
    /// [`InvalidValue::OutOfRange`] for 0 or a value above [`Self::MAX`].
    pub fn new(value: u32) -> Result<Self, InvalidValue> {
        if value == 0 || value > Self::MAX {
            return Err(InvalidValue::OutOfRange {
                what: "quantity",
                range: "between 1 and 1000000",
            });
        }
        Ok(Self(value))
    }

    /// Builds a quantity from a signed wire integer (JSON may carry negatives).
    ///
    /// # Errors
    /// As [`Quantity::new`], also for negative values.
    pub fn from_i64(value: i64) -> Result<Self, InvalidValue> {
        u32::try_from(value)
            .map_err(|_| InvalidValue::OutOfRange {
                what: "quantity",
                range: "between 1 and 1000000",
            })
            .and_then(Self::new)
    }

    /// The count.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn zero_is_not_a_quantity() {
        assert!(Quantity::new(0).is_err());
    }

    #[test]
    fn one_is_the_smallest_quantity() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
    }

    #[test]
    fn negative_wire_values_are_rejected() {
        assert!(Quantity::from_i64(-3).is_err());
        assert!(Quantity::from_i64(i64::from(u32::MAX) + 1).is_err());
    }

    #[test]
    fn quantities_above_the_cap_are_rejected() {
        assert!(Quantity::new(Quantity::MAX).is_ok());
        assert!(Quantity::new(Quantity::MAX + 1).is_err());
    }
}

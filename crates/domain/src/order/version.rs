//! The optimistic-concurrency version of a stored order.

/// The optimistic-concurrency version of a stored order: 1 when first stored, one more on
/// every save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(u64);

impl Version {
    /// The version of an order that has not been stored yet.
    pub const NEW: Self = Self(0);

    /// Wraps a stored version number.
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version after one more save.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

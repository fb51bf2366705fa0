//! The health port: whether the store answers.

use async_trait::async_trait;

use super::StoreError;

/// Whether the store answers, for readiness checks.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Health: Send + Sync + std::fmt::Debug {
    /// Checks that the store answers (readiness).
    ///
    /// # Errors
    /// [`StoreError`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;
}

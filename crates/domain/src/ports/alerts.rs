//! The `AlertSink` port: where alerts to operators go (a webhook), and how one call ended.

use async_trait::async_trait;

use crate::alert::Alert;
use crate::ports::marketplace::Outcome;

/// Sends one alert to operators. Implementations classify every failure into an [`Outcome`]
/// (`Delivered`, `Retry` for passing failures, `Rejected` for a refusal for good) and never
/// panic; they carry their own timeouts. The alert's id is the same on every attempt, so that a
/// receiver can drop a repeat.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait AlertSink: Send + Sync + std::fmt::Debug {
    /// Sends `alert`.
    async fn send(&self, alert: &Alert) -> Outcome;
}

//! The channel ports: [`ChannelStates`], each channel account's health shared by every instance,
//! and [`AlertQueue`], the durable queue of alerts to operators.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AttemptResult, StoreError};
use crate::alert::Alert;
use crate::health::ChannelHealth;
use crate::values::AlertId;

/// Channel health as stored: a row per channel account that ever left `active`.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait ChannelStates: Send + Sync + std::fmt::Debug {
    /// Every stored channel health (channels not listed are active).
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn channel_states(&self) -> Result<Vec<ChannelHealth>, StoreError>;

    /// Writes `health` if the stored version is still `health.version` (0: none stored yet),
    /// bumping it, and queues `alerts` in the same transaction. Returns `false`, writing nothing,
    /// when another writer came first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn put_channel_state(
        &self,
        health: &ChannelHealth,
        alerts: &[Alert],
    ) -> Result<bool, StoreError>;
}

/// A claimed alert and how many attempts it has had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedAlert {
    /// The alert.
    pub alert: Alert,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// The queue of alerts to operators, claimed under a lease like the outbox.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait AlertQueue: Send + Sync + std::fmt::Debug {
    /// Claims up to `limit` pending alerts due at `now`, leased to `token` until `until`, oldest
    /// first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        token: Uuid,
        limit: u32,
    ) -> Result<Vec<QueuedAlert>, StoreError>;

    /// Records how an attempt to send an alert ended, if `token` still holds it; `false`
    /// otherwise (nothing written).
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn complete_alert(
        &self,
        id: AlertId,
        token: Uuid,
        result: &AttemptResult,
    ) -> Result<bool, StoreError>;
}

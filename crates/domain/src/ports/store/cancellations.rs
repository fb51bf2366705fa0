//! The early-cancellations port: a marketplace cancellation that arrived before its order is
//! kept until the order arrives (design section 11).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::order::MarketplaceCancel;
use crate::values::{ChannelId, ExternalOrderId};

/// Marketplace cancellations of orders not stored yet.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EarlyCancellations: Send + Sync + std::fmt::Debug {
    /// Keeps `cancel` for the order `external_id` of `channel`, received at `now`; a
    /// cancellation kept for it before is replaced.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn keep_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
        cancel: &MarketplaceCancel,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The cancellation kept for that order, if any.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn kept_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<MarketplaceCancel>, StoreError>;

    /// Forgets the cancellation kept for that order (it was applied); nothing when none is.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn forget_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<(), StoreError>;
}

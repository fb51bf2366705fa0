//! The webhook-ids port: the ids of signed webhook calls received (Standard Webhooks'
//! `webhook-id`), kept while a replay of the call would still pass the timestamp check, so that
//! a replay is refused by every instance sharing the store (design section 12).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::values::ChannelId;

/// Ids of signed webhook calls received, per channel.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait WebhookIds: Send + Sync + std::fmt::Debug {
    /// Records the call `id` of `channel`, received at `now`, to be kept until `until`.
    /// Returns true when it was not recorded; false, changing nothing, when it is, with an
    /// `until` after `now` (a replay, or the same call sent twice at once: of concurrent
    /// records of one id, exactly one returns true). A record whose `until` is not after `now`
    /// counts as none, and may be deleted by any call.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn record_webhook_id(
        &self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Forgets the call `id` of `channel` (it failed on this side, and its sender will try
    /// again with the same id); nothing when it is not recorded.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn forget_webhook_id(&self, channel: &ChannelId, id: &str) -> Result<(), StoreError>;
}

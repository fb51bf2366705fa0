//! The poll-state port: where a pull channel account's feed was left, and which instance may
//! poll it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::values::ChannelId;

/// The state of polling pull channel accounts: a cursor and a lease per account.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait PollState: Send + Sync + std::fmt::Debug {
    /// The saved poll cursor of a pull channel account.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError>;

    /// Saves a pull channel account's poll cursor.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError>;

    /// Takes or renews the lease on polling a pull channel account, so that one instance
    /// polls it at a time: true when `owner` holds it afterwards. The lease runs `until - now`
    /// (none: given back) counted by the store's own clock, the database's, as is whether a
    /// lease held by another owner has run out (refused, false, while it has not; taken over
    /// once it has): instances whose clocks disagree still agree on who polls.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn lease_poller(
        &self,
        channel: &ChannelId,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

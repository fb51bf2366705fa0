//! The inbound quarantine port: what could not be read, kept whole until an operator replays
//! or discards it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::alert::Alert;
use crate::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use crate::values::{InboundId, OrderId};

/// Why a quarantined entry could not be closed.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// No such entry.
    #[error("inbound entry {0} not found")]
    NotFound(InboundId),
    /// It was replayed or discarded already.
    #[error("inbound entry {id} is {state:?} already")]
    Closed {
        /// The entry.
        id: InboundId,
        /// Its state.
        state: InboundState,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The quarantine as stored.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait InboundLog: Send + Sync + std::fmt::Debug {
    /// Keeps `entry`, and queues `alerts` with it. When the same body from the same channel is
    /// already kept and still rejected, that entry is counted again (seen, last seen, error)
    /// instead, and no alert is queued; when an operator discarded the same body from the same
    /// channel, that entry is returned as it is (a feed presents an unconfirmed order again
    /// and again; discarding it must silence it). Returns the entry and whether it is new.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn quarantine(
        &self,
        entry: &NewInbound,
        alerts: &[Alert],
    ) -> Result<(Inbound, bool), StoreError>;

    /// One entry.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn inbound(&self, id: InboundId) -> Result<Option<Inbound>, StoreError>;

    /// Entries, newest first.
    ///
    /// # Errors
    /// [`StoreError`] only for storage failures.
    async fn inbound_list(&self, query: &InboundQuery) -> Result<Vec<Inbound>, StoreError>;

    /// Closes a rejected entry as `state` (replayed into `order_id`, or discarded) at `at`.
    ///
    /// # Errors
    /// MUST return [`InboundError::NotFound`] or [`InboundError::Closed`], and write nothing,
    /// in those cases.
    async fn close_inbound(
        &self,
        id: InboundId,
        state: InboundState,
        order_id: Option<OrderId>,
        at: DateTime<Utc>,
    ) -> Result<Inbound, InboundError>;

    /// Notes that a replay of a rejected entry failed again, with `error`.
    ///
    /// # Errors
    /// MUST return [`InboundError::NotFound`] or [`InboundError::Closed`], and write nothing,
    /// in those cases.
    async fn retried_inbound(&self, id: InboundId, error: &str) -> Result<Inbound, InboundError>;
}

//! The `OrderSource` port: pull channels that orderbridge polls for new orders.

use std::time::Duration;

use async_trait::async_trait;

use crate::order::NewOrder;
use crate::values::{ChannelId, ExternalOrderId};

/// One order from a page: parsed, or the reason it could not be. An order that cannot be
/// parsed is not confirmed, so it stays in the marketplace's feed, and it is kept in the
/// inbound quarantine (its `raw` text) for operators to see and replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedOrder {
    /// The marketplace's id, where it could be read.
    pub external_id: Option<ExternalOrderId>,
    /// The parsed order, or what was wrong with it (no personal data in the message).
    pub order: Result<NewOrder, String>,
    /// The order exactly as the page held it, which [`OrderSource::reread`] reads again.
    pub raw: Vec<u8>,
}

/// A page of new orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePage {
    /// The orders on this page.
    pub orders: Vec<SourcedOrder>,
    /// The cursor of the next page; `None` when this was the last.
    pub next_cursor: Option<String>,
}

/// Why a page could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// A passing failure; poll again later.
    #[error("temporary failure: {reason}")]
    Retry {
        /// What went wrong.
        reason: String,
        /// How long the marketplace asked us to wait.
        retry_after: Option<Duration>,
    },
    /// Credentials or configuration were refused.
    #[error("authentication failed: {reason}")]
    AuthFailed {
        /// What the marketplace said.
        reason: String,
    },
    /// The marketplace refused the request itself (a bug or a changed API).
    #[error("request rejected: {reason}")]
    Rejected {
        /// What the marketplace said.
        reason: String,
    },
}

/// A pull channel's feed of new orders.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait OrderSource: Send + Sync + std::fmt::Debug {
    /// The channel account this source reads.
    fn channel(&self) -> &ChannelId;

    /// Fetches the page after `cursor` (the first page for `None`).
    ///
    /// # Errors
    /// [`SourceError`], classified as for deliveries.
    async fn fetch_page(&self, cursor: Option<String>) -> Result<SourcePage, SourceError>;

    /// Reads again one order's raw text (a [`SourcedOrder::raw`] kept in quarantine) with the
    /// current code and settings. The default cannot: override it to let operators replay.
    ///
    /// # Errors
    /// Why it does not read as an order.
    fn reread(&self, raw: &[u8]) -> Result<NewOrder, String> {
        let _ = raw;
        Err(format!(
            "the feed of channel {} cannot read its orders again",
            self.channel()
        ))
    }
}

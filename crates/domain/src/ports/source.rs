//! The `OrderSource` port: pull channels that orderbridge polls for new orders, and whose
//! orders it re-reads to learn what the marketplace did to them since (design section 11).

use std::time::Duration;

use async_trait::async_trait;

use crate::order::{MarketplaceCancel, NewOrder};
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
    /// The marketplace asked us to slow down (its 429): stop calling it for now.
    #[error("rate limited: {reason}")]
    RateLimited {
        /// What the marketplace said.
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

/// What the marketplace says of one of its orders now, as far as it can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteState {
    /// Held at the marketplace (`Some(true)`: shipments are refused until it is released);
    /// `None` when the answer does not say, so the order's hold stays as it is.
    pub on_hold: Option<bool>,
    /// The marketplace's cancellation of the whole order, when it cancelled it.
    pub cancelled: Option<MarketplaceCancel>,
}

/// The answer to a re-read of one order ([`OrderSource::order_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateRead {
    /// The marketplace has the order, in this state.
    Known(RemoteState),
    /// The marketplace does not know the order (its 404): not a cancellation, and nothing is
    /// changed on our side.
    NotFound,
    /// This source cannot re-read orders at all.
    Unsupported,
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

    /// Reads again what the marketplace says of one of its orders now: whether it holds the
    /// order and whether it cancelled it. The default cannot ([`StateRead::Unsupported`]):
    /// override it where the marketplace can be asked.
    ///
    /// # Errors
    /// [`SourceError`], classified as for pages: [`SourceError::RateLimited`] when the
    /// marketplace asks us to slow down, [`SourceError::Retry`] for other passing failures,
    /// [`SourceError::AuthFailed`] for refused credentials, and
    /// [`SourceError::Rejected`] for an answer about this order that cannot be read. An order
    /// the marketplace does not know is `Ok(`[`StateRead::NotFound`]`)`, never an error.
    async fn order_state(&self, id: &ExternalOrderId) -> Result<StateRead, SourceError> {
        let _ = id;
        Ok(StateRead::Unsupported)
    }
}

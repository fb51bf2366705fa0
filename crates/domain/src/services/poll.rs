//! The poll service: reads a pull channel's feed of new orders to its end and ingests each one
//! (its confirmation is queued in the same transaction). One instance polls a channel account at
//! a time, under a lease in the store; under the same lease it re-reads the channel's open orders
//! (`state_check.rs`).

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::ports::clock::Clock;
use crate::ports::source::{OrderSource, SourceError, SourcedOrder};
use crate::ports::store::{PollState, StoreError};
use crate::services::{IngestError, Ingested, OrderService};
use crate::values::ExternalOrderId;

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Pages read.
    pub pages: u32,
    /// Orders stored for the first time.
    pub created: u32,
    /// Orders already stored (their confirmation may still be on its way).
    pub known: u32,
    /// Orders that could not be read or broke a rule: not stored and not confirmed, so they stay
    /// in the marketplace's feed (and in the inbound quarantine, where one is kept). Each with
    /// what was wrong (no personal data).
    pub unreadable: Vec<(Option<ExternalOrderId>, String)>,
    /// Of those, how many the quarantine kept for the first time (the others it had already).
    pub quarantined: u32,
}

/// Why a poll stopped early. Orders stored before it stay stored.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The feed failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The channel is not configured for ingestion.
    #[error(transparent)]
    Ingest(IngestError),
}

/// Polls one pull channel account.
#[derive(Debug, Clone)]
pub struct Poller {
    service: OrderService,
    state: Arc<dyn PollState>,
    source: Arc<dyn OrderSource>,
    clock: Arc<dyn Clock>,
    owner: Uuid,
    lease: Duration,
}

impl Poller {
    /// A poller for `source` that ingests through `service` and keeps its cursor and lease in
    /// `state`, identifying itself as `owner` (one per process) and holding its lease for
    /// `lease` at a time (renewed after every page).
    #[must_use]
    pub fn new(
        service: OrderService,
        state: Arc<dyn PollState>,
        source: Arc<dyn OrderSource>,
        clock: Arc<dyn Clock>,
        owner: Uuid,
        lease: Duration,
    ) -> Self {
        Self {
            service,
            state,
            source,
            clock,
            owner,
            lease,
        }
    }

    async fn hold_lease(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let until = now + TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::MAX);
        self.state
            .lease_poller(self.source.channel(), self.owner, now, until)
            .await
    }

    /// Gives up the lease (on shutdown), so that another instance can poll at once instead of
    /// waiting for it to run out. Only a lease this poller holds is affected.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        self.state
            .lease_poller(self.source.channel(), self.owner, now, now)
            .await
    }

    /// Counts an order that cannot be read in `report` and keeps its raw text in the
    /// quarantine, where one is kept. It is not confirmed, so it also stays in the feed: a
    /// failure to keep it stops the poll, and the next poll meets it again.
    async fn keep(
        &self,
        raw: &[u8],
        external_id: Option<ExternalOrderId>,
        reason: String,
        report: &mut PollReport,
    ) -> Result<(), StoreError> {
        if let Some(quarantine) = self.service.quarantine() {
            let id = external_id.as_ref().map(|id| id.as_str().to_owned());
            let (_, new) = quarantine
                .keep(self.source.channel(), id, raw, &reason)
                .await?;
            report.quarantined += u32::from(new);
        }
        report.unreadable.push((external_id, reason));
        Ok(())
    }

    /// Reads the feed to its end, or returns `Ok(None)` when another instance holds the lease.
    ///
    /// The cursor is saved after each page, so a poll cut short resumes where it stopped; it is
    /// cleared at the end, so the next poll starts from the first page (a pull feed of new orders
    /// is a work queue: orders leave it once confirmed). A saved cursor the marketplace refuses
    /// is dropped and the feed read from its start.
    ///
    /// # Errors
    /// [`PollError`]; what was stored before the error stays stored.
    pub async fn poll_once(&self) -> Result<Option<PollReport>, PollError> {
        if !self.hold_lease().await? {
            return Ok(None);
        }
        let channel = self.source.channel().clone();
        let saved = self.state.poll_cursor(&channel).await?;
        let mut cursor = saved.filter(|c| !c.is_empty());
        let mut report = PollReport::default();
        loop {
            let page = match self.source.fetch_page(cursor.clone()).await {
                Ok(page) => page,
                Err(SourceError::Rejected { .. }) if cursor.is_some() && report.pages == 0 => {
                    // The saved cursor is stale: start over from the first page.
                    self.state.set_poll_cursor(&channel, "").await?;
                    cursor = None;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            report.pages += 1;
            for sourced in page.orders {
                let SourcedOrder {
                    external_id,
                    order,
                    raw,
                } = sourced;
                let new = match order {
                    Ok(new) => new,
                    Err(reason) => {
                        self.keep(&raw, external_id, reason, &mut report).await?;
                        continue;
                    }
                };
                let external_id = new.external_id.clone();
                match self.service.ingest(new).await {
                    Ok(Ingested::Created(_)) => report.created += 1,
                    Ok(Ingested::Duplicate(_)) => report.known += 1,
                    Err(IngestError::Invalid(e)) => {
                        let reason = e.to_string();
                        self.keep(&raw, Some(external_id), reason, &mut report)
                            .await?;
                    }
                    Err(IngestError::Store(e)) => return Err(e.into()),
                    Err(e @ IngestError::UnknownChannel(_)) => return Err(PollError::Ingest(e)),
                }
            }
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) => {
                    self.state.set_poll_cursor(&channel, &next).await?;
                    if !self.hold_lease().await? {
                        // Another instance took over (our lease ran out): stop here.
                        return Ok(Some(report));
                    }
                    cursor = Some(next);
                }
                None => {
                    self.state.set_poll_cursor(&channel, "").await?;
                    return Ok(Some(report));
                }
            }
        }
    }
}

#[path = "state_check.rs"]
mod state_check;

pub use state_check::{RoundStop, StateCheckReport};

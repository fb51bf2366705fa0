//! `Purge`: erases personal data kept past `retention.days` (design section 11), page by page:
//! the customer data of orders complete for that long, and the bodies of quarantined entries
//! replayed or discarded that long ago. A dry run lists what would go and erases nothing.
//! Several instances may purge at once: each erasure checks again that it is still due.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{Retention, StoreError};
use crate::retention::{DueInbound, DueOrder, Erasure, RetentionPeriod};
use crate::values::{EventId, InboundId};

/// Orders and entries looked at per page.
const PAGE: u32 = 100;

/// Whether a purge erases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeMode {
    /// List what is due; erase nothing.
    DryRun,
    /// Erase what is due.
    Erase,
}

/// One thing a purge erased (or, in a dry run, would erase). Holds no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purged<'a> {
    /// An order's personal data.
    Order(&'a DueOrder),
    /// A quarantined entry's body.
    Inbound(&'a DueInbound),
}

/// What a purge came to: counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// What was complete (or closed) at or before this time was due.
    pub cutoff: DateTime<Utc>,
    /// Orders erased (in a dry run: due).
    pub orders: u64,
    /// Quarantined bodies erased (in a dry run: due).
    pub inbound: u64,
    /// Due when listed but left alone when erased: changed meanwhile, or erased by another
    /// instance first.
    pub skipped: u64,
}

/// The purge in use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Purge {
    store: Arc<dyn Retention>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    period: RetentionPeriod,
    page: u32,
}

impl Purge {
    /// A purge of what `store` keeps longer than `period`.
    #[must_use]
    pub fn new(
        store: Arc<dyn Retention>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        period: RetentionPeriod,
    ) -> Self {
        Self {
            store,
            clock,
            ids,
            period,
            page: PAGE,
        }
    }

    /// The same purge looking at `page` orders or entries at a time (at least one).
    #[must_use]
    pub fn with_page(mut self, page: u32) -> Self {
        self.page = page.max(1);
        self
    }

    /// How long personal data is kept.
    #[must_use]
    pub fn period(&self) -> RetentionPeriod {
        self.period
    }

    /// Erases (or, in a dry run, lists) what is due now, orders first, then quarantined
    /// bodies; `seen` hears of each as it goes.
    ///
    /// # Errors
    /// [`StoreError`]: what was erased before it stays erased, and the next purge goes on.
    pub async fn run(
        &self,
        mode: PurgeMode,
        seen: &mut (dyn FnMut(Purged<'_>) + Send),
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = self.period.cutoff(self.clock.now());
        let mut report = PurgeReport {
            cutoff,
            orders: 0,
            inbound: 0,
            skipped: 0,
        };
        self.orders(mode, cutoff, &mut report, seen).await?;
        self.inbound(mode, cutoff, &mut report, seen).await?;
        Ok(report)
    }

    async fn orders(
        &self,
        mode: PurgeMode,
        cutoff: DateTime<Utc>,
        report: &mut PurgeReport,
        seen: &mut (dyn FnMut(Purged<'_>) + Send),
    ) -> Result<(), StoreError> {
        let mut after = None;
        loop {
            let page = self.store.due_orders(cutoff, after, self.page).await?;
            let erased = match mode {
                PurgeMode::DryRun => page.orders.iter().map(|due| due.id).collect(),
                PurgeMode::Erase if page.orders.is_empty() => Vec::new(),
                PurgeMode::Erase => {
                    let now = self.clock.now();
                    let erasures: Vec<Erasure> = page
                        .orders
                        .iter()
                        .map(|due| {
                            let event = EventId::from_uuid(self.ids.next_id());
                            Erasure::of(due, self.period, event, now)
                        })
                        .collect();
                    self.store.erase_orders(&erasures, cutoff).await?
                }
            };
            for due in page.orders.iter().filter(|due| erased.contains(&due.id)) {
                seen(Purged::Order(due));
            }
            report.orders += erased.len() as u64;
            report.skipped += page.orders.len().saturating_sub(erased.len()) as u64;
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn inbound(
        &self,
        mode: PurgeMode,
        cutoff: DateTime<Utc>,
        report: &mut PurgeReport,
        seen: &mut (dyn FnMut(Purged<'_>) + Send),
    ) -> Result<(), StoreError> {
        let mut after = None;
        loop {
            let due = self.store.due_inbound(cutoff, after, self.page).await?;
            let ids: Vec<InboundId> = due.iter().map(|entry| entry.id).collect();
            let erased = match mode {
                PurgeMode::DryRun => ids,
                PurgeMode::Erase if ids.is_empty() => Vec::new(),
                PurgeMode::Erase => {
                    self.store
                        .erase_inbound(&ids, cutoff, self.clock.now())
                        .await?
                }
            };
            for entry in due.iter().filter(|entry| erased.contains(&entry.id)) {
                seen(Purged::Inbound(entry));
            }
            report.inbound += erased.len() as u64;
            report.skipped += due.len().saturating_sub(erased.len()) as u64;
            match due.last() {
                Some(last) if due.len() >= self.page as usize => after = Some(last.id),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
#[path = "purge_tests.rs"]
mod tests;

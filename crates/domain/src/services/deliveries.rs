//! `DeliveryService`: what operators do with the outbox: list deliveries, put parked ones back
//! in the queue (one, or every one a filter matches), resolve one done by hand.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::order::{EventType, OrderEvent};
use crate::outbox::{Delivery, DeliveryState};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{
    DeliveryLog, DeliveryQuery, Requeue, RequeueError, ResolveError, StoreError,
};
use crate::values::{ChannelId, DeliveryId, EventId};

/// Which deliveries a bulk retry puts back in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryFilter {
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Parked rows (`Dead`), or pending ones waiting for their next attempt (`Pending`: made
    /// due at once).
    pub state: DeliveryState,
    /// Only those queued at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only those queued before this time.
    pub created_before: Option<DateTime<Utc>>,
}

/// How many rows a bulk retry reads and requeues per transaction.
const RETRY_PAGE: u32 = 500;

/// Longest note kept with a resolution, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Why a delivery could not be requeued.
#[derive(Debug, thiserror::Error)]
pub enum RequeueDeliveryError {
    /// As the store reported it.
    #[error(transparent)]
    Requeue(#[from] RequeueError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operators' actions on deliveries. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct DeliveryService {
    log: Arc<dyn DeliveryLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl DeliveryService {
    /// A service over the delivery log.
    #[must_use]
    pub fn new(
        log: Arc<dyn DeliveryLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { log, clock, ids }
    }

    /// Deliveries, newest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        self.log.deliveries(query).await
    }

    /// Puts a parked delivery back in the queue and notes it in the order's history.
    ///
    /// # Errors
    /// [`RequeueDeliveryError`]: not found, not dead, or a store failure.
    pub async fn requeue_delivery(&self, id: DeliveryId) -> Result<Delivery, RequeueDeliveryError> {
        let Some(delivery) = self.log.delivery(id).await? else {
            return Err(RequeueError::NotFound(id).into());
        };
        let now = self.clock.now();
        let event = OrderEvent {
            id: EventId::from_uuid(self.ids.next_id()),
            at: now,
            kind: EventType::DeliveryRequeued,
            subject: Some(id.as_uuid()),
            detail: format!(
                "{} to {} requeued by an operator",
                delivery.kind, delivery.channel
            ),
        };
        Ok(self.log.requeue(id, now, &event).await?)
    }

    /// Puts every delivery `filter` matches back in the queue, due now, a page at a time, each
    /// with a history entry; returns how many were requeued. Rows that change state meanwhile
    /// (delivered, or taken by a sender) are left alone and not counted.
    ///
    /// # Errors
    /// [`StoreError`]; pages requeued before it stay requeued.
    pub async fn retry_matching(&self, filter: &RetryFilter) -> Result<u64, StoreError> {
        let mut query = DeliveryQuery {
            state: Some(filter.state),
            channel: filter.channel.clone(),
            created_from: filter.created_from,
            created_before: filter.created_before,
            limit: RETRY_PAGE,
            ..DeliveryQuery::default()
        };
        let mut requeued = 0u64;
        loop {
            let page = self.log.deliveries(&query).await?;
            let Some(last) = page.last() else {
                return Ok(requeued);
            };
            query.after = Some(last.id);
            let now = self.clock.now();
            let requeues: Vec<Requeue> = page
                .iter()
                .map(|delivery| Requeue {
                    id: delivery.id,
                    event: OrderEvent {
                        id: EventId::from_uuid(self.ids.next_id()),
                        at: now,
                        kind: EventType::DeliveryRequeued,
                        subject: Some(delivery.id.as_uuid()),
                        detail: format!(
                            "{} to {} requeued by an operator (bulk retry)",
                            delivery.kind, delivery.channel
                        ),
                    },
                })
                .collect();
            let done = self.log.requeue_many(&requeues, now).await?;
            requeued += done.len() as u64;
        }
    }

    /// Marks a parked (or pending) delivery as done by hand on the marketplace, with the
    /// operator's note and, when given, who they are, kept in the order's history. It is never
    /// sent again, and the deliveries waiting for it go.
    ///
    /// # Errors
    /// [`ResolveError`]: not found, already closed, being sent, or a store failure.
    pub async fn resolve_delivery(
        &self,
        id: DeliveryId,
        note: &str,
        by: Option<&str>,
    ) -> Result<Delivery, ResolveError> {
        let Some(delivery) = self.log.delivery(id).await? else {
            return Err(ResolveError::NotFound(id));
        };
        let now = self.clock.now();
        let who = by.map_or_else(|| "an operator".to_owned(), |by| format!("{by:?}"));
        let event = OrderEvent {
            id: EventId::from_uuid(self.ids.next_id()),
            at: now,
            kind: EventType::DeliveryResolved,
            subject: Some(id.as_uuid()),
            detail: format!(
                "{} to {} resolved by hand by {who}: {note}",
                delivery.kind, delivery.channel
            ),
        };
        self.log.resolve(id, &event).await
    }
}

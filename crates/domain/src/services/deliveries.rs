//! `DeliveryService`: what operators do with the outbox: list deliveries and put a parked one
//! back in the queue.

use std::sync::Arc;

use crate::order::{EventType, OrderEvent};
use crate::outbox::Delivery;
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{DeliveryLog, DeliveryQuery, RequeueError, StoreError};
use crate::values::{DeliveryId, EventId};

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
}

//! `OrderService`: ingest, fulfil, cancel, refund, and the reads of orders the API offers.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::order::{
    CancelError, CancellationRequest, EventType, FulfilError, Fulfilled, FulfillmentRequest,
    NewOrder, NewOrderError, Order, OrderEvent, RefundError, RefundRequest, Refunded,
};
use crate::outbox::{Change, DeliveryKind, NewDelivery, deliveries_for, is_reported, waits_for};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::marketplace::Capabilities;
use crate::ports::store::{
    EarlyCancellations, InsertError, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use crate::services::Channels;
use crate::services::Quarantine;
use crate::values::{
    CancellationId, ChannelId, DeliveryId, EventId, FulfillmentId, OrderId, RefundId,
};

/// Tunables of [`OrderService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceConfig {
    /// How many times an update is tried when the order keeps changing under it. Each conflict
    /// means another update succeeded, so this bounds waiting, not correctness.
    pub max_update_attempts: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_update_attempts: 20,
        }
    }
}

/// What ingesting an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// The order is new and now stored, with its outbox rows.
    Created(Box<Order>),
    /// An order with the same channel and external id was already stored; nothing changed.
    Duplicate(OrderId),
}

/// Why an order could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The channel is not configured.
    #[error("channel {0} is not configured")]
    UnknownChannel(ChannelId),
    /// The order breaks a rule.
    #[error(transparent)]
    Invalid(#[from] NewOrderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an update of a stored order failed.
#[derive(Debug, thiserror::Error)]
pub enum OrderUpdateError<E: std::error::Error + 'static> {
    /// No such order.
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The change breaks a rule; nothing changed.
    #[error(transparent)]
    Rejected(E),
    /// The order kept changing concurrently; nothing changed. Safe to retry.
    #[error("order {order} changed concurrently {attempts} times in a row; try again")]
    Contention {
        /// The order.
        order: OrderId,
        /// Attempts made.
        attempts: u32,
    },
    /// The order's channel is no longer configured.
    #[error("channel {0} is not configured")]
    UnknownChannel(ChannelId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A recorded (or replayed) fulfillment and the order after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentRecorded {
    /// New or replayed.
    pub outcome: Fulfilled,
    /// The order as stored now.
    pub order: Order,
}

/// A recorded cancellation and the order after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// The cancellation.
    pub id: CancellationId,
    /// The order as stored now.
    pub order: Order,
}

/// A recorded (or replayed) refund and the order after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecorded {
    /// New or replayed.
    pub outcome: Refunded,
    /// The order as stored now.
    pub order: Order,
}

/// What an update closure produced: its result, the change for the outbox policy (none for a
/// replay, and for what the marketplace itself said), and the alerts it raises. The order is
/// saved when the closure added to its history.
pub(super) struct Applied<T> {
    value: T,
    change: Option<ChangeRef>,
    pub(super) alerts: Vec<Alert>,
}

impl<T> Applied<T> {
    pub(super) fn new(value: T, change: Option<ChangeRef>) -> Self {
        Self {
            value,
            change,
            alerts: Vec::new(),
        }
    }
}

/// Which child a change created, looked up again after the closure returns.
#[derive(Debug, Clone, Copy)]
pub(super) enum ChangeRef {
    Fulfilled(FulfillmentId),
    Cancelled(CancellationId),
    Refunded(RefundId),
    CancelledByMarketplace(CancellationId),
}

/// The operations on orders. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct OrderService {
    store: Arc<dyn OrderStore>,
    channels: Arc<Channels>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    config: ServiceConfig,
    quarantine: Option<Quarantine>,
    early: Option<Arc<dyn EarlyCancellations>>,
    alerting: bool,
}

impl OrderService {
    /// A service over these ports.
    #[must_use]
    pub fn new(
        store: Arc<dyn OrderStore>,
        channels: Channels,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            store,
            channels: Arc::new(channels),
            clock,
            ids,
            config,
            quarantine: None,
            early: None,
            alerting: false,
        }
    }

    /// Keeps marketplace cancellations that arrive before their order in `early`, to apply
    /// when it arrives; without it such a cancellation is refused.
    #[must_use]
    pub fn with_early_cancellations(mut self, early: Arc<dyn EarlyCancellations>) -> Self {
        self.early = Some(early);
        self
    }

    /// Raises alerts to operators (an alerts webhook is configured).
    #[must_use]
    pub fn with_alerting(mut self, alerting: bool) -> Self {
        self.alerting = alerting;
        self
    }

    /// Keeps what channels send that cannot be read in `quarantine`.
    #[must_use]
    pub fn with_quarantine(mut self, quarantine: Quarantine) -> Self {
        self.quarantine = Some(quarantine);
        self
    }

    /// The inbound quarantine, when one is kept.
    #[must_use]
    pub fn quarantine(&self) -> Option<&Quarantine> {
        self.quarantine.as_ref()
    }

    /// The configured channels.
    #[must_use]
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// Stores a new order with its confirmation delivery (where the channel confirms), or
    /// reports that it is already stored.
    ///
    /// # Errors
    /// [`IngestError`].
    pub async fn ingest(&self, new: NewOrder) -> Result<Ingested, IngestError> {
        let caps = *self
            .channels
            .get(&new.channel)
            .ok_or_else(|| IngestError::UnknownChannel(new.channel.clone()))?;
        let now = self.clock.now();
        let mut order = Order::create(
            new,
            OrderId::from_uuid(self.ids.next_id()),
            EventId::from_uuid(self.ids.next_id()),
            now,
        )?;
        let outbox = self.queue(&mut order, Change::Received, &caps, now);
        match self.store.insert(&order, &outbox).await {
            Ok(version) => {
                order.mark_saved(version);
                if self.apply_early_cancellation(&order, order.id()).await? {
                    order = self.store.get(order.id()).await?.unwrap_or(order);
                }
                Ok(Ingested::Created(Box::new(order)))
            }
            Err(InsertError::AlreadyExists { existing }) => {
                // A cancellation kept for it and not applied yet (the first ingest failed
                // after storing the order) is applied now: a retry heals it.
                self.apply_early_cancellation(&order, existing).await?;
                Ok(Ingested::Duplicate(existing))
            }
            Err(InsertError::Store(e)) => Err(IngestError::Store(e)),
        }
    }

    /// Records a shipment, queueing what the channel needs to hear of it.
    ///
    /// # Errors
    /// [`OrderUpdateError`] with [`FulfilError`] for rule violations, including
    /// [`FulfilError::CarrierRequired`] when the channel needs a carrier and none was given.
    pub async fn record_fulfillment(
        &self,
        order_id: OrderId,
        request: &FulfillmentRequest,
    ) -> Result<FulfillmentRecorded, OrderUpdateError<FulfilError>> {
        let (outcome, order) = self
            .update(order_id, |order, caps, now, ids| {
                if caps.requires_carrier && request.carrier.is_none() {
                    // A replay of an existing shipment is still recognised.
                    let known = order
                        .fulfillments()
                        .iter()
                        .any(|f| f.tracking_number() == &request.tracking_number);
                    if !known {
                        return Err(FulfilError::CarrierRequired);
                    }
                }
                let id = FulfillmentId::from_uuid(ids.next_id());
                let outcome = order.fulfil(request, id, EventId::from_uuid(ids.next_id()), now)?;
                let change = match outcome {
                    Fulfilled::Created(id) => Some(ChangeRef::Fulfilled(id)),
                    Fulfilled::Replayed(_) => None,
                };
                Ok(Applied::new(outcome, change))
            })
            .await?;
        Ok(FulfillmentRecorded { outcome, order })
    }

    /// Cancels units or the whole order.
    ///
    /// # Errors
    /// [`OrderUpdateError`] with [`CancelError`] for rule violations.
    pub async fn cancel(
        &self,
        order_id: OrderId,
        request: &CancellationRequest,
    ) -> Result<Cancelled, OrderUpdateError<CancelError>> {
        let (id, order) = self
            .update(order_id, |order, _caps, now, ids| {
                let id = CancellationId::from_uuid(ids.next_id());
                let id = order.cancel(request, id, EventId::from_uuid(ids.next_id()), now)?;
                Ok(Applied::new(id, Some(ChangeRef::Cancelled(id))))
            })
            .await?;
        Ok(Cancelled { id, order })
    }

    /// Records a refund.
    ///
    /// # Errors
    /// [`OrderUpdateError`] with [`RefundError`] for rule violations.
    pub async fn refund(
        &self,
        order_id: OrderId,
        request: &RefundRequest,
    ) -> Result<RefundRecorded, OrderUpdateError<RefundError>> {
        let (outcome, order) = self
            .update(order_id, |order, _caps, now, ids| {
                let id = RefundId::from_uuid(ids.next_id());
                let outcome = order.refund(request, id, EventId::from_uuid(ids.next_id()), now)?;
                let change = match outcome {
                    Refunded::Created(id) => Some(ChangeRef::Refunded(id)),
                    Refunded::Replayed(_) => None,
                };
                Ok(Applied::new(outcome, change))
            })
            .await?;
        Ok(RefundRecorded { outcome, order })
    }

    /// One order.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        self.store.get(id).await
    }

    /// One order by its marketplace id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn order_by_external(
        &self,
        channel: &ChannelId,
        external_id: &crate::values::ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        self.store.find_by_external(channel, external_id).await
    }

    /// A page of orders.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.store.list(query).await
    }

    /// Loads the order, applies `apply`, queues deliveries and saves, retrying on conflicts.
    pub(super) async fn update<T, E>(
        &self,
        order_id: OrderId,
        mut apply: impl FnMut(
            &mut Order,
            &Capabilities,
            DateTime<Utc>,
            &dyn IdGenerator,
        ) -> Result<Applied<T>, E>
        + Send,
    ) -> Result<(T, Order), OrderUpdateError<E>>
    where
        T: Send,
        E: std::error::Error + Send + 'static,
    {
        let attempts = self.config.max_update_attempts.max(1);
        for _ in 0..attempts {
            let Some(mut order) = self.store.get(order_id).await? else {
                return Err(OrderUpdateError::NotFound(order_id));
            };
            let caps = *self
                .channels
                .get(order.channel())
                .ok_or_else(|| OrderUpdateError::UnknownChannel(order.channel().clone()))?;
            let now = self.clock.now();
            let applied = apply(&mut order, &caps, now, self.ids.as_ref())
                .map_err(OrderUpdateError::Rejected)?;
            if order.new_events().is_empty() {
                return Ok((applied.value, order));
            }
            let outbox = match applied.change {
                None => Vec::new(),
                Some(ChangeRef::Fulfilled(id)) => order
                    .fulfillment(id)
                    .cloned()
                    .map(|f| self.queue(&mut order, Change::Fulfilled(&f), &caps, now))
                    .unwrap_or_default(),
                Some(ChangeRef::Cancelled(id)) => order
                    .cancellation(id)
                    .cloned()
                    .map(|c| self.queue(&mut order, Change::Cancelled(&c), &caps, now))
                    .unwrap_or_default(),
                Some(ChangeRef::Refunded(id)) => order
                    .refund_by_id(id)
                    .cloned()
                    .map(|r| self.queue(&mut order, Change::Refunded(&r), &caps, now))
                    .unwrap_or_default(),
                Some(ChangeRef::CancelledByMarketplace(id)) => order
                    .cancellation(id)
                    .cloned()
                    .map(|c| {
                        let change = Change::CancelledByMarketplace(&c);
                        self.queue(&mut order, change, &caps, now)
                    })
                    .unwrap_or_default(),
            };
            match self.store.save(&order, &outbox, &applied.alerts).await {
                Ok(version) => {
                    order.mark_saved(version);
                    return Ok((applied.value, order));
                }
                Err(SaveError::Conflict(_)) => {}
                Err(SaveError::NotFound(id)) => return Err(OrderUpdateError::NotFound(id)),
                Err(SaveError::Store(e)) => return Err(OrderUpdateError::Store(e)),
            }
        }
        Err(OrderUpdateError::Contention {
            order: order_id,
            attempts,
        })
    }

    /// The outbox rows for a change, per the outbox policy; notes in the history when the
    /// channel cannot hear of it at all.
    fn queue(
        &self,
        order: &mut Order,
        change: Change<'_>,
        caps: &Capabilities,
        now: DateTime<Utc>,
    ) -> Vec<NewDelivery> {
        if !is_reported(change, caps) {
            let (what, subject) = match change {
                Change::Cancelled(c) => ("cancellations", Some(c.id().as_uuid())),
                Change::Refunded(r) => ("refunds", Some(r.id().as_uuid())),
                Change::Received | Change::Fulfilled(_) | Change::CancelledByMarketplace(_) => {
                    ("this change", None)
                }
            };
            order.note(OrderEvent {
                id: EventId::from_uuid(self.ids.next_id()),
                at: now,
                kind: EventType::NotReported,
                subject,
                detail: format!(
                    "recorded only: channel {} has no endpoint for {what}",
                    order.channel()
                ),
            });
        }
        deliveries_for(change, order, caps)
            .into_iter()
            .map(|kind: DeliveryKind| NewDelivery {
                id: DeliveryId::from_uuid(self.ids.next_id()),
                order_id: order.id(),
                channel: order.channel().clone(),
                kind,
                created_at: now,
                waits_for: waits_for(kind, order, caps),
            })
            .collect()
    }
}

#[path = "upstream.rs"]
mod upstream;

pub use upstream::{MarketplaceCancelOutcome, UpstreamError};

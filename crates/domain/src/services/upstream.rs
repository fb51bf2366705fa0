//! What marketplaces say of orders after they arrived (design section 11): cancellations on
//! their side, applied to every unit not shipped and never reported back (kept when they come
//! before their order, and applied when it arrives), and holds, which refuse shipments until
//! released.

use std::convert::Infallible;

use crate::alert::{Alert, AlertKind};
use crate::order::{MarketplaceCancel, MarketplaceCancelled, Order};
use crate::ports::store::StoreError;
use crate::services::orders::{Applied, ChangeRef, OrderService, OrderUpdateError};
use crate::values::{AlertId, CancellationId, ChannelId, EventId, ExternalOrderId, OrderId};

/// What a marketplace cancellation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketplaceCancelOutcome {
    /// Applied to the stored order now.
    Applied {
        /// The order.
        order: OrderId,
        /// Units cancelled.
        cancelled: u64,
        /// Units that had shipped already (an alert went out when there were any).
        shipped: u64,
    },
    /// The order knew of it already; nothing changed.
    Known(OrderId),
    /// The order is not stored yet: the cancellation is kept and applied when it arrives.
    Kept,
}

/// Why what a marketplace said could not be recorded: the order vanished, kept changing, or
/// the store failed. Nothing a marketplace says is refused by a rule.
pub type UpstreamError = OrderUpdateError<Infallible>;

impl OrderService {
    /// Records that the marketplace of `channel` cancelled its order `external_id`: every unit
    /// not shipped is cancelled, the history says so, and an alert goes out when something
    /// had shipped. Nothing is reported back. When the order is not stored yet the cancellation
    /// is kept and applied when it arrives.
    ///
    /// # Errors
    /// [`UpstreamError`]; a cancellation of an order not stored yet needs
    /// [`OrderService::with_early_cancellations`].
    pub async fn marketplace_cancelled(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
        cancel: &MarketplaceCancel,
    ) -> Result<MarketplaceCancelOutcome, UpstreamError> {
        if let Some(order) = self.store.find_by_external(channel, external_id).await? {
            return self.apply_marketplace_cancel(order.id(), cancel).await;
        }
        let Some(early) = &self.early else {
            return Err(StoreError::msg(
                "a cancellation of an order not received yet cannot be kept here",
            )
            .into());
        };
        early
            .keep_cancellation(channel, external_id, cancel, self.clock.now())
            .await?;
        // The order may have been stored meanwhile, after its ingest looked for this: look
        // again now that it is kept (one of the two sides always sees the other).
        match self.store.find_by_external(channel, external_id).await? {
            Some(order) => {
                let outcome = self.apply_marketplace_cancel(order.id(), cancel).await?;
                early.forget_cancellation(channel, external_id).await?;
                Ok(outcome)
            }
            None => Ok(MarketplaceCancelOutcome::Kept),
        }
    }

    /// Applies the cancellation kept for `order` (just built from what the marketplace sent),
    /// stored as `stored`, if there is one; whether there was.
    pub(super) async fn apply_early_cancellation(
        &self,
        order: &Order,
        stored: OrderId,
    ) -> Result<bool, StoreError> {
        let Some(early) = &self.early else {
            return Ok(false);
        };
        let (channel, external_id) = (order.channel(), order.external_id());
        let Some(cancel) = early.kept_cancellation(channel, external_id).await? else {
            return Ok(false);
        };
        self.apply_marketplace_cancel(stored, &cancel)
            .await
            .map_err(|e| match e {
                OrderUpdateError::Store(e) => e,
                other => StoreError::with_source("could not apply a kept cancellation", other),
            })?;
        early.forget_cancellation(channel, external_id).await?;
        Ok(true)
    }

    async fn apply_marketplace_cancel(
        &self,
        order_id: OrderId,
        cancel: &MarketplaceCancel,
    ) -> Result<MarketplaceCancelOutcome, UpstreamError> {
        let alerting = self.alerting;
        let (outcome, order) = self
            .update(order_id, |order, _caps, now, ids| {
                let id = CancellationId::from_uuid(ids.next_id());
                let outcome =
                    order.cancel_by_marketplace(cancel, id, EventId::from_uuid(ids.next_id()), now);
                // A cancellation that cancelled units (and so may complete the order) lets the
                // outbox policy release what the shipments are waiting for.
                let change = match outcome {
                    MarketplaceCancelled::Applied { cancelled, .. } if cancelled > 0 => {
                        Some(ChangeRef::CancelledByMarketplace(id))
                    }
                    _ => None,
                };
                let mut applied = Applied::new(outcome, change);
                if let MarketplaceCancelled::Applied { shipped, .. } = outcome
                    && shipped > 0
                    && alerting
                {
                    applied.alerts.push(Alert {
                        id: AlertId::from_uuid(ids.next_id()),
                        kind: AlertKind::MarketplaceCancelledAfterShipment,
                        channel: order.channel().clone(),
                        order_id: Some(order.id()),
                        delivery_id: None,
                        message: format!(
                            "the marketplace cancelled order {} after {shipped} units had \
                             shipped; settle it with the marketplace",
                            order.external_id()
                        ),
                        at: now,
                    });
                }
                Ok::<_, Infallible>(applied)
            })
            .await?;
        Ok(match outcome {
            MarketplaceCancelled::Applied { cancelled, shipped } => {
                MarketplaceCancelOutcome::Applied {
                    order: order.id(),
                    cancelled,
                    shipped,
                }
            }
            MarketplaceCancelled::Known => MarketplaceCancelOutcome::Known(order.id()),
        })
    }

    /// Records that the marketplace holds the order (`on_hold`) or released it; the order as
    /// stored now, and whether that changed anything.
    ///
    /// # Errors
    /// [`UpstreamError`].
    pub async fn marketplace_hold(
        &self,
        order_id: OrderId,
        on_hold: bool,
    ) -> Result<(bool, Order), UpstreamError> {
        self.update(order_id, |order, _caps, now, ids| {
            let changed = order.set_hold(on_hold, EventId::from_uuid(ids.next_id()), now);
            Ok::<_, Infallible>(Applied::new(changed, None))
        })
        .await
    }
}

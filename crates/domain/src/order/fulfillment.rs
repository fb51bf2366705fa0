//! Shipments (design rules 2 to 5): the warehouse ships units by SKU under one tracking number.

use chrono::{DateTime, Utc};

use crate::order::allocate::{allocate, sum_by_sku};
use crate::order::{AllocationError, EventType, LineAllocation, Order, OrderStatus};
use crate::values::{
    Carrier, ChannelId, EventId, FulfillmentId, Quantity, Sku, TrackingNumber, TrackingUrl,
};

/// What the warehouse reports for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentRequest {
    /// The package's tracking number.
    pub tracking_number: TrackingNumber,
    /// The carrier, if known.
    pub carrier: Option<Carrier>,
    /// Where to track it, if known.
    pub tracking_url: Option<TrackingUrl>,
    /// Units shipped, by SKU. The same SKU may appear more than once; its entries are summed.
    pub lines: Vec<(Sku, Quantity)>,
    /// When the package left; defaults to the time it is recorded.
    pub shipped_at: Option<DateTime<Utc>>,
}

/// One recorded shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfillment {
    pub(crate) id: FulfillmentId,
    pub(crate) tracking_number: TrackingNumber,
    pub(crate) carrier: Option<Carrier>,
    pub(crate) tracking_url: Option<TrackingUrl>,
    pub(crate) lines: Vec<LineAllocation>,
    pub(crate) shipped_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Fulfillment {
    /// Rebuilds a stored fulfillment (for stores); [`Order::restore`] checks it against the
    /// order's lines.
    #[must_use]
    pub fn from_parts(
        id: FulfillmentId,
        tracking_number: TrackingNumber,
        carrier: Option<Carrier>,
        tracking_url: Option<TrackingUrl>,
        lines: Vec<LineAllocation>,
        shipped_at: DateTime<Utc>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tracking_number,
            carrier,
            tracking_url,
            lines,
            shipped_at,
            created_at,
        }
    }
    /// orderbridge's id.
    #[must_use]
    pub fn id(&self) -> FulfillmentId {
        self.id
    }
    /// The tracking number.
    #[must_use]
    pub fn tracking_number(&self) -> &TrackingNumber {
        &self.tracking_number
    }
    /// The carrier.
    #[must_use]
    pub fn carrier(&self) -> Option<&Carrier> {
        self.carrier.as_ref()
    }
    /// The tracking URL.
    #[must_use]
    pub fn tracking_url(&self) -> Option<&TrackingUrl> {
        self.tracking_url.as_ref()
    }
    /// Units shipped per order line.
    #[must_use]
    pub fn lines(&self) -> &[LineAllocation] {
        &self.lines
    }
    /// When the package left.
    #[must_use]
    pub fn shipped_at(&self) -> DateTime<Utc> {
        self.shipped_at
    }
    /// When orderbridge recorded it.
    #[must_use]
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// Units shipped per SKU, in the order SKUs first appear: how marketplaces that work by SKU
    /// (ADM) want it, and what a replay is compared on.
    #[must_use]
    pub fn units_by_sku(&self) -> Vec<(Sku, u64)> {
        let pairs: Vec<(Sku, Quantity)> = self
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        sum_by_sku(&pairs)
    }
    /// Units in the package.
    #[must_use]
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity.get())).sum()
    }
}

/// What recording a fulfillment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilled {
    /// A new shipment was recorded.
    Created(FulfillmentId),
    /// The same tracking number with the same units was already recorded; nothing changed.
    Replayed(FulfillmentId),
}

impl Fulfilled {
    /// The shipment's id, new or existing.
    #[must_use]
    pub fn id(self) -> FulfillmentId {
        match self {
            Self::Created(id) | Self::Replayed(id) => id,
        }
    }
}

/// Why a fulfillment was refused. The order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FulfilError {
    /// The request lists no units.
    #[error("a fulfillment needs at least one line item")]
    NoLines,
    /// Every unit of the order is cancelled (design rule 5).
    #[error("the order is cancelled")]
    OrderCancelled,
    /// The tracking number is already used on this order for other units (design rule 4).
    #[error("tracking number {0} is already used on this order with other line items")]
    TrackingNumberConflict(TrackingNumber),
    /// The marketplace cancelled the order: nothing more may ship (design section 11).
    #[error(
        "the marketplace of channel {channel} cancelled this order at {at}; nothing more can ship"
    )]
    CancelledByMarketplace {
        /// The order's channel account.
        channel: ChannelId,
        /// When the marketplace cancelled it.
        at: DateTime<Utc>,
    },
    /// The marketplace holds the order (FeedAMP's `paused`).
    #[error(
        "the marketplace of channel {0} holds this order (paused); shipments are refused until it is released"
    )]
    OnHold(ChannelId),
    /// The order's channel needs a carrier on every shipment and none was given.
    #[error("carrier is required by this order's marketplace")]
    CarrierRequired,
    /// A SKU is unknown or more units were sent than are open (design rules 1 and 2).
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    /// The order already has [`Order::MAX_CHILDREN`] fulfillments.
    #[error("the order already has {max} fulfillments, the most one order may have")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

/// True when two per-SKU unit lists hold the same units, in whatever order.
fn same_units(mut a: Vec<(Sku, u64)>, mut b: Vec<(Sku, u64)>) -> bool {
    a.sort();
    b.sort();
    a == b
}

impl Order {
    /// Records a shipment, or recognises a replay of one already recorded.
    ///
    /// # Errors
    /// [`FulfilError`]; the order is left exactly as it was.
    pub fn fulfil(
        &mut self,
        request: &FulfillmentRequest,
        id: FulfillmentId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> Result<Fulfilled, FulfilError> {
        if request.lines.is_empty() {
            return Err(FulfilError::NoLines);
        }
        if let Some(existing) = self
            .fulfillments
            .iter()
            .find(|f| f.tracking_number == request.tracking_number)
        {
            return if same_units(existing.units_by_sku(), sum_by_sku(&request.lines)) {
                Ok(Fulfilled::Replayed(existing.id))
            } else {
                Err(FulfilError::TrackingNumberConflict(
                    request.tracking_number.clone(),
                ))
            };
        }
        if let Some(at) = self.marketplace.cancelled_at {
            return Err(FulfilError::CancelledByMarketplace {
                channel: self.channel.clone(),
                at,
            });
        }
        if self.marketplace.on_hold {
            return Err(FulfilError::OnHold(self.channel.clone()));
        }
        if self.status() == OrderStatus::Cancelled {
            return Err(FulfilError::OrderCancelled);
        }
        if self.fulfillments.len() >= Self::MAX_CHILDREN {
            return Err(FulfilError::TooMany {
                max: Self::MAX_CHILDREN,
            });
        }
        let allocations = allocate(&self.lines, &request.lines)?;
        // Checked: nothing below can fail.
        for allocation in &allocations {
            if let Some(line) = self.lines.get_mut(allocation.line.index()) {
                line.shipped += allocation.quantity.get();
            }
        }
        let fulfillment = Fulfillment {
            id,
            tracking_number: request.tracking_number.clone(),
            carrier: request.carrier.clone(),
            tracking_url: request.tracking_url.clone(),
            lines: allocations,
            shipped_at: request.shipped_at.unwrap_or(now),
            created_at: now,
        };
        let detail = format!(
            "tracking {} ({} units)",
            fulfillment.tracking_number,
            fulfillment.units()
        );
        self.fulfillments.push(fulfillment);
        self.updated_at = now;
        self.push_event(
            event_id,
            now,
            EventType::Fulfilled,
            Some(id.as_uuid()),
            detail,
        );
        Ok(Fulfilled::Created(id))
    }

    /// One fulfillment by id.
    #[must_use]
    pub fn fulfillment(&self, id: FulfillmentId) -> Option<&Fulfillment> {
        self.fulfillments.iter().find(|f| f.id == id)
    }
}

//! Deliveries to marketplaces (the outbox) and the policy that decides which a change queues.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::order::{Cancellation, Fulfillment, Order, Refund};
use crate::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, RefundSupport,
};
use crate::values::{
    CancellationId, ChannelId, DeliveryId, FulfillmentId, InvalidValue, LineNo, OrderId, RefundId,
};

/// What one delivery tells the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryKind {
    /// "We have the order" (FeedAMP's confirm).
    Confirm,
    /// One shipment (ADM's Create Fulfillment).
    Fulfillment(FulfillmentId),
    /// The whole order's shipments and cancellations in one call, built from the order's state
    /// at send time (FeedAMP v1's fulfil).
    OrderFulfillment,
    /// One cancellation, for marketplaces with a cancellation endpoint.
    Cancellation(CancellationId),
    /// A refund, or one line of it for marketplaces that take one line per call.
    Refund {
        /// The refund.
        refund: RefundId,
        /// The line, where the marketplace takes one line per call.
        line: Option<LineNo>,
    },
}

impl DeliveryKind {
    /// The snake-case name used in storage and the API.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Fulfillment(_) => "fulfillment",
            Self::OrderFulfillment => "order_fulfillment",
            Self::Cancellation(_) => "cancellation",
            Self::Refund { .. } => "refund",
        }
    }

    /// The id of the entity delivered, where there is one.
    #[must_use]
    pub fn subject(&self) -> Option<Uuid> {
        match self {
            Self::Confirm | Self::OrderFulfillment => None,
            Self::Fulfillment(id) => Some(id.as_uuid()),
            Self::Cancellation(id) => Some(id.as_uuid()),
            Self::Refund { refund, .. } => Some(refund.as_uuid()),
        }
    }

    /// The refund line, for per-line refunds.
    #[must_use]
    pub fn line(&self) -> Option<LineNo> {
        match self {
            Self::Refund { line, .. } => *line,
            _ => None,
        }
    }

    /// Rebuilds a kind from the three parts stores keep: [`name`](Self::name),
    /// [`subject`](Self::subject) and [`line`](Self::line).
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] when the parts do not fit together.
    pub fn from_parts(
        name: &str,
        subject: Option<Uuid>,
        line: Option<LineNo>,
    ) -> Result<Self, InvalidValue> {
        let malformed = InvalidValue::Malformed {
            what: "delivery kind",
            expected: "a known kind with its subject",
        };
        match (name, subject) {
            ("confirm", None) => Ok(Self::Confirm),
            ("order_fulfillment", None) => Ok(Self::OrderFulfillment),
            ("fulfillment", Some(id)) => Ok(Self::Fulfillment(FulfillmentId::from_uuid(id))),
            ("cancellation", Some(id)) => Ok(Self::Cancellation(CancellationId::from_uuid(id))),
            ("refund", Some(id)) => Ok(Self::Refund {
                refund: RefundId::from_uuid(id),
                line,
            }),
            _ => Err(malformed),
        }
    }
}

impl std::fmt::Display for DeliveryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.subject(), self.line()) {
            (Some(id), Some(line)) => write!(f, "{} {id} line {line}", self.name()),
            (Some(id), None) => write!(f, "{} {id}", self.name()),
            _ => f.write_str(self.name()),
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting to be sent, or to be retried.
    Pending,
    /// The marketplace has it.
    Delivered,
    /// Parked after a final failure, until an operator requeues or resolves it.
    Dead,
    /// Done by hand on the marketplace, as an operator noted: counts as delivered for the
    /// deliveries that wait for it.
    Resolved,
    /// Replaced, before it was sent, by a newer delivery of the same whole-order call (which is
    /// built at send time, so the newer one carries everything); its waiters wait for that one.
    Superseded,
}

impl DeliveryState {
    /// The snake-case name used in storage and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Resolved => "resolved",
            Self::Superseded => "superseded",
        }
    }

    /// Every state, in the order of their life.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Delivered,
        Self::Dead,
        Self::Resolved,
        Self::Superseded,
    ];

    /// Whether the deliveries waiting for one in this state may go (delivered or resolved).
    #[must_use]
    pub fn releases_waiters(self) -> bool {
        matches!(self, Self::Delivered | Self::Resolved)
    }

    /// Whether nothing more will happen to a delivery in this state (delivered, resolved or
    /// superseded); pending (in flight among them) and parked ones are not finished.
    #[must_use]
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Delivered | Self::Resolved | Self::Superseded)
    }

    /// Parses a name written by [`DeliveryState::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `state` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "state",
                expected: "one of pending, delivered, dead, resolved, superseded",
            })
    }
}

/// A delivery another one waits for, named by what it delivers; the store records, in the
/// transaction that queues the waiting row, the rows of the order that match (none: nothing to
/// wait for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitFor {
    /// The order's confirmation.
    Confirm,
    /// The delivery of this shipment.
    Fulfillment(FulfillmentId),
    /// The order's whole-order fulfillment call (the one not superseded).
    OrderFulfillment,
}

impl WaitFor {
    /// The [`DeliveryKind::name`] of the rows it matches.
    #[must_use]
    pub fn kind_name(self) -> &'static str {
        match self {
            Self::Confirm => DeliveryKind::Confirm.name(),
            Self::Fulfillment(id) => DeliveryKind::Fulfillment(id).name(),
            Self::OrderFulfillment => DeliveryKind::OrderFulfillment.name(),
        }
    }

    /// The subject the matching rows have, where one is named.
    #[must_use]
    pub fn subject(self) -> Option<Uuid> {
        match self {
            Self::Fulfillment(id) => Some(id.as_uuid()),
            Self::Confirm | Self::OrderFulfillment => None,
        }
    }

    /// Whether `kind` is what this names.
    #[must_use]
    pub fn matches(self, kind: DeliveryKind) -> bool {
        kind.name() == self.kind_name()
            && (self.subject().is_none() || kind.subject() == self.subject())
    }
}

/// A delivery to queue, written in the same transaction as the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its id (time-ordered).
    pub id: DeliveryId,
    /// The order.
    pub order_id: OrderId,
    /// The channel to send it to.
    pub channel: ChannelId,
    /// What to send.
    pub kind: DeliveryKind,
    /// When it was queued; also when it is first due.
    pub created_at: DateTime<Utc>,
    /// The deliveries of the same order and channel it waits for (see [`waits_for`]).
    pub waits_for: Vec<WaitFor>,
}

impl NewDelivery {
    /// Whether queuing it supersedes the order's whole-order call still pending and not yet
    /// taken by a sender: it is itself one.
    #[must_use]
    pub fn supersedes(&self) -> bool {
        self.kind == DeliveryKind::OrderFulfillment
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The order.
    pub order_id: OrderId,
    /// The channel.
    pub channel: ChannelId,
    /// What to send.
    pub kind: DeliveryKind,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it is next due (pending rows).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, as the marketplace or the network gave it.
    pub last_error: Option<String>,
    /// The marketplace's reference for the delivered change.
    pub remote_ref: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What a change to an order was, for the outbox policy.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// The order was just received.
    Received,
    /// A shipment was recorded.
    Fulfilled(&'a Fulfillment),
    /// A cancellation was recorded.
    Cancelled(&'a Cancellation),
    /// A refund was recorded.
    Refunded(&'a Refund),
    /// The marketplace cancelled units itself: nothing of it is reported back, but a
    /// cancellation that completes an order with unreported shipments releases them.
    CancelledByMarketplace(&'a Cancellation),
}

/// The outbox policy: which deliveries a change queues for a channel with these capabilities.
/// `order` is the order after the change.
///
/// - Received: a confirmation where the channel confirms.
/// - Fulfilled: one delivery per shipment (per-shipment channels), or one whole-order delivery
///   when this change completes the order (whole-order channels).
/// - Cancelled: one per cancellation where the channel has a cancellation endpoint; on
///   whole-order channels the whole-order delivery when this change completes the order (it
///   carries the cancellations, and every shipment made before).
/// - Refunded: one per refund, or one per refund line, as the channel takes them.
/// - CancelledByMarketplace: nothing of the cancellation; on whole-order channels, when it
///   completes an order of which something shipped, the whole-order delivery, so that the
///   marketplace still hears of the shipments (never of its own cancellation).
#[must_use]
pub fn deliveries_for(change: Change<'_>, order: &Order, caps: &Capabilities) -> Vec<DeliveryKind> {
    let whole_order_due = caps.fulfillment == FulfillmentMode::WholeOrder && order.is_complete();
    match change {
        Change::Received if caps.confirms_orders => vec![DeliveryKind::Confirm],
        Change::Received => Vec::new(),
        Change::Fulfilled(fulfillment) => match caps.fulfillment {
            FulfillmentMode::PerShipment => vec![DeliveryKind::Fulfillment(fulfillment.id())],
            FulfillmentMode::WholeOrder if whole_order_due => vec![DeliveryKind::OrderFulfillment],
            FulfillmentMode::WholeOrder => Vec::new(),
        },
        Change::Cancelled(cancellation) => {
            let mut kinds = Vec::new();
            if caps.cancellations == CancellationSupport::PerCancellation {
                kinds.push(DeliveryKind::Cancellation(cancellation.id()));
            }
            // A cancellation that completes the order releases the whole-order delivery,
            // which also carries every shipment made so far.
            if whole_order_due {
                kinds.push(DeliveryKind::OrderFulfillment);
            }
            kinds
        }
        Change::Refunded(refund) => match caps.refunds {
            RefundSupport::PerRefund => vec![DeliveryKind::Refund {
                refund: refund.id(),
                line: None,
            }],
            RefundSupport::PerLine => refund
                .lines()
                .iter()
                .map(|line| DeliveryKind::Refund {
                    refund: refund.id(),
                    line: Some(line.line),
                })
                .collect(),
            RefundSupport::None => Vec::new(),
        },
        Change::CancelledByMarketplace(_) if whole_order_due && order.units_shipped() > 0 => {
            vec![DeliveryKind::OrderFulfillment]
        }
        Change::CancelledByMarketplace(_) => Vec::new(),
    }
}

/// What a delivery of `kind` waits for, on a channel with these capabilities (`order` as
/// after the change that queues it):
///
/// - a confirmation waits for nothing;
/// - everything else waits for the order's confirmation, where the channel confirms;
/// - a refund also waits for the delivery that reports its lines' shipments: the whole-order
///   call on whole-order channels, or each shipment holding one of its lines on per-shipment
///   channels. A line not reported yet (a whole-order call is queued only once the order is
///   complete) has nothing to wait for.
///
/// Shipments of one order never wait for each other, nor do cancellations.
#[must_use]
pub fn waits_for(kind: DeliveryKind, order: &Order, caps: &Capabilities) -> Vec<WaitFor> {
    if kind == DeliveryKind::Confirm {
        return Vec::new();
    }
    let mut waits = Vec::new();
    if caps.confirms_orders {
        waits.push(WaitFor::Confirm);
    }
    let DeliveryKind::Refund { refund, line } = kind else {
        return waits;
    };
    match caps.fulfillment {
        FulfillmentMode::WholeOrder => waits.push(WaitFor::OrderFulfillment),
        FulfillmentMode::PerShipment => {
            let refunded: Vec<LineNo> = match (line, order.refund_by_id(refund)) {
                (Some(line), _) => vec![line],
                (None, Some(refund)) => refund.lines().iter().map(|l| l.line).collect(),
                (None, None) => Vec::new(),
            };
            for fulfillment in order.fulfillments() {
                if fulfillment
                    .lines()
                    .iter()
                    .any(|allocation| refunded.contains(&allocation.line))
                {
                    waits.push(WaitFor::Fulfillment(fulfillment.id()));
                }
            }
        }
    }
    waits
}

/// Whether the channel learns of this change at all: false for cancellations and refunds on
/// channels with no endpoint for them, which the services note in the order's history.
#[must_use]
pub fn is_reported(change: Change<'_>, caps: &Capabilities) -> bool {
    match change {
        Change::Received | Change::Fulfilled(_) | Change::CancelledByMarketplace(_) => true,
        Change::Cancelled(_) => caps.cancellations != CancellationSupport::None,
        Change::Refunded(_) => caps.refunds != RefundSupport::None,
    }
}

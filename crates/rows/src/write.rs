//! Writing orders: the rows an insert or a save writes, flattened from the domain's order once,
//! and the procedures [`insert`] and [`save`] that every store runs in the same order over its
//! own statements ([`OrderWrites`]), inside a transaction the store opens and commits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::{Order, OrderEvent, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{InsertError, SaveError, StoreError};
use orderbridge_domain::values::OrderId;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::codec::{int, position};
use crate::read::OrderReads;

mod batch;
mod order_row;

pub use batch::{NewOrderWrite, insert_batch};
pub use order_row::{HeaderChange, LineRow, OrderRow, Tally, lines};

/// A new `fulfillments` row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct FulfillmentRow<'a> {
    pub id: Uuid,
    pub position: i32,
    pub tracking_number: &'a str,
    pub carrier: Option<&'a str>,
    pub tracking_url: Option<&'a str>,
    pub shipped_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A new `cancellations` row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct CancellationRow<'a> {
    pub id: Uuid,
    pub position: i32,
    pub reason: &'static str,
    pub whole_order: bool,
    pub note: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub origin: &'static str,
}

/// A new `refunds` row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct RefundRow<'a> {
    pub id: Uuid,
    pub position: i32,
    pub reference: Option<&'a str>,
    pub reason: &'static str,
    pub note: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

/// A line of a fulfillment, cancellation (no amount) or refund (with its amount).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct ChildLineRow<'a> {
    /// The fulfillment, cancellation or refund.
    pub parent: Uuid,
    pub position: i32,
    pub line_no: i32,
    pub sku: &'a str,
    pub quantity: i32,
    pub amount: Option<Decimal>,
}

/// The fulfillments, cancellations and refunds added to an order since it was loaded, with
/// their lines, each at its position in the order's list (children are append-only, so new
/// ones follow the saved ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per table of the same name")]
pub struct NewChildren<'a> {
    pub fulfillments: Vec<FulfillmentRow<'a>>,
    pub fulfillment_lines: Vec<ChildLineRow<'a>>,
    pub cancellations: Vec<CancellationRow<'a>>,
    pub cancellation_lines: Vec<ChildLineRow<'a>>,
    pub refunds: Vec<RefundRow<'a>>,
    pub refund_lines: Vec<ChildLineRow<'a>>,
}

/// Index of the first new child among `all`, of which the last `new` are new.
fn first(all: usize, new: usize) -> usize {
    all.saturating_sub(new)
}

impl<'a> NewChildren<'a> {
    /// The children `order` added since it was loaded (all of them for a new order).
    #[must_use]
    pub fn of(order: &'a Order) -> Self {
        let mut rows = Self::default();
        let new = order.new_fulfillments();
        let start = first(order.fulfillments().len(), new.len());
        for (offset, f) in new.iter().enumerate() {
            rows.fulfillments.push(FulfillmentRow {
                id: f.id().as_uuid(),
                position: position(start + offset),
                tracking_number: f.tracking_number().as_str(),
                carrier: f.carrier().map(|c| c.as_str()),
                tracking_url: f.tracking_url().map(|u| u.as_str()),
                shipped_at: f.shipped_at(),
                created_at: f.created_at(),
            });
            for (i, l) in f.lines().iter().enumerate() {
                rows.fulfillment_lines.push(ChildLineRow {
                    parent: f.id().as_uuid(),
                    position: position(i),
                    line_no: int(l.line.get()),
                    sku: l.sku.as_str(),
                    quantity: int(l.quantity.get()),
                    amount: None,
                });
            }
        }
        let new = order.new_cancellations();
        let start = first(order.cancellations().len(), new.len());
        for (offset, c) in new.iter().enumerate() {
            rows.cancellations.push(CancellationRow {
                id: c.id().as_uuid(),
                position: position(start + offset),
                reason: c.reason().as_str(),
                whole_order: c.whole_order(),
                note: c.note(),
                created_at: c.created_at(),
                origin: c.origin().as_str(),
            });
            for (i, l) in c.lines().iter().enumerate() {
                rows.cancellation_lines.push(ChildLineRow {
                    parent: c.id().as_uuid(),
                    position: position(i),
                    line_no: int(l.line.get()),
                    sku: l.sku.as_str(),
                    quantity: int(l.quantity.get()),
                    amount: None,
                });
            }
        }
        rows.add_refunds(order);
        rows
    }

    fn add_refunds(&mut self, order: &'a Order) {
        let new = order.new_refunds();
        let start = first(order.refunds().len(), new.len());
        for (offset, r) in new.iter().enumerate() {
            self.refunds.push(RefundRow {
                id: r.id().as_uuid(),
                position: position(start + offset),
                reference: r.reference().map(|x| x.as_str()),
                reason: r.reason().as_str(),
                note: r.note(),
                created_at: r.created_at(),
            });
            for (i, l) in r.lines().iter().enumerate() {
                self.refund_lines.push(ChildLineRow {
                    parent: r.id().as_uuid(),
                    position: position(i),
                    line_no: int(l.line.get()),
                    sku: l.sku.as_str(),
                    quantity: int(l.quantity),
                    amount: Some(l.amount),
                });
            }
        }
    }

    /// Whether there is nothing to insert.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fulfillments.is_empty() && self.cancellations.is_empty() && self.refunds.is_empty()
    }
}

/// A new `outbox` row, pending and due at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct OutboxRow<'a> {
    pub id: Uuid,
    pub order_id: Uuid,
    pub channel: &'a str,
    pub kind: &'static str,
    pub subject: Option<Uuid>,
    pub line_no: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// The outbox rows of `deliveries`, in the order given.
#[must_use]
pub fn outbox_rows(deliveries: &[NewDelivery]) -> Vec<OutboxRow<'_>> {
    deliveries
        .iter()
        .map(|d| OutboxRow {
            id: d.id.as_uuid(),
            order_id: d.order_id.as_uuid(),
            channel: d.channel.as_str(),
            kind: d.kind.name(),
            subject: d.kind.subject(),
            line_no: d.kind.line().map(|l| int(l.get())),
            created_at: d.created_at,
        })
        .collect()
}

/// A row of `outbox_waits` to record, named by what it waits for: the `delivery` waits for
/// every row of its order and channel with this kind (and subject, where one is named) that is
/// neither delivered, resolved nor superseded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column the lookup matches")]
pub struct WaitRow<'a> {
    pub delivery: Uuid,
    pub order_id: Uuid,
    pub channel: &'a str,
    pub kind: &'static str,
    pub subject: Option<Uuid>,
}

/// The waits of `deliveries`, in the order given.
#[must_use]
pub fn wait_rows(deliveries: &[NewDelivery]) -> Vec<WaitRow<'_>> {
    deliveries
        .iter()
        .flat_map(|d| {
            d.waits_for.iter().map(|wait| WaitRow {
                delivery: d.id.as_uuid(),
                order_id: d.order_id.as_uuid(),
                channel: d.channel.as_str(),
                kind: wait.kind_name(),
                subject: wait.subject(),
            })
        })
        .collect()
}

/// Queues `outbox` rows: inserts them, lets each whole-order call supersede the one of its
/// order still pending and not taken by a sender (its waiters now wait for the new one), then
/// records what each row waits for.
async fn queue<W: OrderWrites + ?Sized>(
    writes: &mut W,
    outbox: &[NewDelivery],
) -> Result<(), StoreError> {
    if outbox.is_empty() {
        return Ok(());
    }
    writes.insert_outbox(&outbox_rows(outbox)).await?;
    for delivery in outbox.iter().filter(|d| d.supersedes()) {
        writes
            .supersede(
                delivery.order_id.as_uuid(),
                delivery.channel.as_str(),
                delivery.id.as_uuid(),
            )
            .await?;
    }
    let waits = wait_rows(outbox);
    if !waits.is_empty() {
        writes.insert_waits(&waits).await?;
    }
    Ok(())
}

/// The statements that write orders, each run in the store's open transaction.
#[async_trait]
pub trait OrderWrites: Send {
    /// Inserts the order's row and its lines; `false`, writing nothing, when an order with its
    /// channel and external id exists.
    async fn insert_order(
        &mut self,
        order: &OrderRow<'_>,
        lines: &[LineRow<'_>],
    ) -> Result<bool, StoreError>;

    /// Inserts new orders with their lines and history entries, in the order given; for each,
    /// whether it was inserted (`false`, writing nothing of it, when its channel and external
    /// id are stored, by an earlier order of the list too). The default runs
    /// [`OrderWrites::insert_order`] and [`OrderWrites::insert_events`] for each in turn.
    async fn insert_new_orders(
        &mut self,
        orders: &[NewOrderWrite<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        let mut inserted = Vec::with_capacity(orders.len());
        for order in orders {
            let new = self.insert_order(&order.row, &order.lines).await?;
            if new {
                self.insert_events(order.row.id, order.events).await?;
            }
            inserted.push(new);
        }
        Ok(inserted)
    }

    /// Moves the order from version `expected` to the next with this change of its row;
    /// `false` when the stored version differs or the order is gone.
    async fn bump_version(
        &mut self,
        id: Uuid,
        expected: i64,
        change: &HeaderChange<'_>,
    ) -> Result<bool, StoreError>;

    /// Whether the order exists.
    async fn exists(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Writes the tallies that changed.
    async fn update_tallies(&mut self, order_id: Uuid, tallies: &[Tally])
    -> Result<(), StoreError>;

    /// Inserts new fulfillments, cancellations and refunds with their lines.
    async fn insert_children(
        &mut self,
        order_id: Uuid,
        children: &NewChildren<'_>,
    ) -> Result<(), StoreError>;

    /// Appends history entries, keeping their order.
    async fn insert_events(
        &mut self,
        order_id: Uuid,
        events: &[OrderEvent],
    ) -> Result<(), StoreError>;

    /// Queues outbox rows, keeping their order.
    async fn insert_outbox(&mut self, rows: &[OutboxRow<'_>]) -> Result<(), StoreError>;

    /// Marks the whole-order calls of the order and channel that are pending, unleased and not
    /// `keep` as superseded, and makes what waited for them wait for `keep` instead.
    async fn supersede(
        &mut self,
        order_id: Uuid,
        channel: &str,
        keep: Uuid,
    ) -> Result<(), StoreError>;

    /// Records the rows each wait names (see [`WaitRow`]); a wait that names none records
    /// nothing.
    async fn insert_waits(&mut self, waits: &[WaitRow<'_>]) -> Result<(), StoreError>;

    /// Queues alerts to operators that the change raised.
    async fn insert_alerts(&mut self, alerts: &[Alert]) -> Result<(), StoreError>;
}

/// Inserts a new order (at version 1) with its children, history and outbox rows. Run it in a
/// transaction and commit only on `Ok`.
///
/// # Errors
/// [`InsertError::AlreadyExists`] when the channel and external id are taken (nothing was
/// written); [`InsertError::Store`] when a statement fails.
pub async fn insert<W: OrderWrites + OrderReads>(
    writes: &mut W,
    order: &Order,
    outbox: &[NewDelivery],
) -> Result<Version, InsertError> {
    let row = OrderRow::of(order);
    if !writes.insert_order(&row, &lines(order)).await? {
        let existing = writes
            .id_by_external(row.channel, row.external_id)
            .await?
            .ok_or_else(|| {
                StoreError::msg("an order's channel and external id are taken by none")
            })?;
        return Err(InsertError::AlreadyExists {
            existing: OrderId::from_uuid(existing),
        });
    }
    writes
        .insert_children(row.id, &NewChildren::of(order))
        .await?;
    writes.insert_events(row.id, order.events()).await?;
    queue(writes, outbox).await?;
    Ok(Version::new(1))
}

/// Saves a changed order: its version, status, change time and marketplace state, the
/// tallies, the children and history entries added since it was loaded, the outbox rows and
/// the alerts it raised. Run it in a transaction and commit only on `Ok`.
///
/// # Errors
/// [`SaveError::Conflict`] when the stored version is not the one the order was loaded at,
/// [`SaveError::NotFound`] when there is no such order (nothing written in either case);
/// [`SaveError::Store`] when a statement fails.
pub async fn save<W: OrderWrites>(
    writes: &mut W,
    order: &Order,
    outbox: &[NewDelivery],
    alerts: &[Alert],
) -> Result<Version, SaveError> {
    let id = order.id().as_uuid();
    let expected = i64::try_from(order.version().get()).unwrap_or(i64::MAX);
    if !writes
        .bump_version(id, expected, &HeaderChange::of(order))
        .await?
    {
        return Err(if writes.exists(id).await? {
            SaveError::Conflict(order.id())
        } else {
            SaveError::NotFound(order.id())
        });
    }
    let tallies: Vec<Tally> = lines(order).iter().map(|l| l.tally).collect();
    writes.update_tallies(id, &tallies).await?;
    let children = NewChildren::of(order);
    if !children.is_empty() {
        writes.insert_children(id, &children).await?;
    }
    writes.insert_events(id, order.new_events()).await?;
    queue(writes, outbox).await?;
    if !alerts.is_empty() {
        writes.insert_alerts(alerts).await?;
    }
    Ok(order.version().next())
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;

//! Loading whole orders: the row shapes of an order's header, lines, shipments, cancellations,
//! refunds and history, and their assembly into [`Order`]s through [`Order::restore`], which
//! checks the rules again. A store supplies one statement per [`Part`]; [`load_orders`] runs
//! them in a fixed order and assembles the result.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{
    CancelOrigin, Cancellation, Fulfillment, LineAllocation, LineRecord, MarketplaceState, Order,
    OrderEvent, OrderRecord, Refund, RefundLine, RefundReference, Totals, Version,
};
use orderbridge_domain::ports::store::{OrderQuery, OverdueQuery, StoreError};
use orderbridge_domain::values::{
    CancellationId, Carrier, ChannelId, Currency, Email, EventId, ExternalOrderId, FulfillmentId,
    OrderId, Quantity, RefundId, Sku, TrackingNumber, TrackingUrl,
};
use uuid::Uuid;

use crate::codec::{
    address_from_json, cancel_reason, corrupt, count, event_type, flags_from_text, line_no,
    refund_reason,
};
use crate::columns::Columns;

/// One of the queries that load orders, each for any number of orders by id. The columns each
/// must return, by name, and the order of its rows:
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `orders`: id, channel, external_id, version, currency, placed_at, received_at,
    /// updated_at, deliver_by, email, shipping_address, shipping_service, subtotal_price,
    /// total_discounts, total_shipping, total_tax, total_price, raw_payload (text), flags,
    /// on_hold, marketplace_cancelled_at, erased_at; any order.
    Headers,
    /// `order_lines`: order_id, sku, quantity, unit_price, total_discount, total_tax,
    /// external_line_id, title; by order, then line number.
    Lines,
    /// A fulfillment's columns (order_id, id, tracking_number, carrier, tracking_url,
    /// shipped_at, created_at) joined with each of its lines (line_no, sku, quantity); by
    /// order, fulfillment position, line position.
    Fulfillments,
    /// A cancellation's columns (order_id, id, reason, whole_order, note, created_at, origin)
    /// joined
    /// with each of its lines (line_no, sku, quantity); by order, position, line position.
    Cancellations,
    /// A refund's columns (order_id, id, reference, reason, note, created_at) joined with each
    /// of its lines (line_no, sku, quantity, amount); by order, position, line position.
    Refunds,
    /// `order_events`: order_id, id, at, kind, subject, detail; by order, then history order.
    Events,
}

/// The statements that load orders, run by [`load_orders`] in one snapshot of the store.
#[async_trait]
pub trait OrderReads: Send {
    /// A row as the store returns it.
    type Row: Columns + Send;

    /// The rows of `part` for the orders with these ids.
    ///
    /// # Errors
    /// [`StoreError`] when the statement fails.
    async fn fetch(&mut self, part: Part, ids: &[Uuid]) -> Result<Vec<Self::Row>, StoreError>;

    /// The keys (`id`, `updated_at`) of the orders `query` selects, in list order (by
    /// `updated_at`, then id), at most `limit` of them; `query.limit` is not used (see
    /// [`crate::keyset`]).
    ///
    /// # Errors
    /// [`StoreError`] when the statement fails.
    async fn page_keys(
        &mut self,
        query: &OrderQuery,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError>;

    /// The keys (`id`, `deliver_by`) of the orders `query` selects as overdue (deadline
    /// strictly before `query.now`, status open or partially fulfilled), in list order (by
    /// `deliver_by`, then id), at most `limit` of them; `query.limit` is not used.
    ///
    /// # Errors
    /// [`StoreError`] when the statement fails.
    async fn overdue_keys(
        &mut self,
        query: &OverdueQuery,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError>;

    /// The id of the order with this channel and external id.
    ///
    /// # Errors
    /// [`StoreError`] when the statement fails.
    async fn id_by_external(
        &mut self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<Uuid>, StoreError>;
}

/// Loads the orders with these ids, in the order given; ids not found are left out. Run it in
/// one transaction, so that all its queries see one snapshot.
///
/// # Errors
/// [`StoreError`] when a statement fails or a stored row is corrupt.
pub async fn load_orders<R: OrderReads>(
    reads: &mut R,
    ids: &[Uuid],
) -> Result<Vec<Order>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut records: HashMap<Uuid, OrderRecord> = HashMap::with_capacity(ids.len());
    for row in reads.fetch(Part::Headers, ids).await? {
        let record = order_header(&row)?;
        records.insert(record.id.as_uuid(), record);
    }
    if records.is_empty() {
        return Ok(Vec::new());
    }
    for row in reads.fetch(Part::Lines, ids).await? {
        if let Some(record) = records.get_mut(&row.uuid("order_id")?) {
            record.lines.push(line(&row)?);
        }
    }
    for child in group(reads.fetch(Part::Fulfillments, ids).await?, allocation)? {
        let fulfillment = fulfillment(&child.row, child.lines)?;
        if let Some(record) = records.get_mut(&child.order) {
            record.fulfillments.push(fulfillment);
        }
    }
    for child in group(reads.fetch(Part::Cancellations, ids).await?, allocation)? {
        let cancellation = cancellation(&child.row, child.lines)?;
        if let Some(record) = records.get_mut(&child.order) {
            record.cancellations.push(cancellation);
        }
    }
    for child in group(reads.fetch(Part::Refunds, ids).await?, refund_line)? {
        let refund = refund(&child.row, child.lines)?;
        if let Some(record) = records.get_mut(&child.order) {
            record.refunds.push(refund);
        }
    }
    for row in reads.fetch(Part::Events, ids).await? {
        if let Some(record) = records.get_mut(&row.uuid("order_id")?) {
            record.events.push(event(&row)?);
        }
    }
    ids.iter()
        .filter_map(|id| records.remove(id))
        .map(|record| {
            Order::restore(record).map_err(|e| StoreError::with_source("corrupt order", e))
        })
        .collect()
}

fn order_header(row: &impl Columns) -> Result<OrderRecord, StoreError> {
    let version = row.big("version")?;
    Ok(OrderRecord {
        id: OrderId::from_uuid(row.uuid("id")?),
        channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
        external_id: ExternalOrderId::parse(&row.text("external_id")?)
            .map_err(corrupt("external_id"))?,
        version: Version::new(u64::try_from(version).unwrap_or_default()),
        currency: Currency::parse(&row.text("currency")?).map_err(corrupt("currency"))?,
        placed_at: row.time("placed_at")?,
        received_at: row.time("received_at")?,
        updated_at: row.time("updated_at")?,
        deliver_by: row.opt_time("deliver_by")?,
        email: row.opt_text("email")?.as_deref().and_then(Email::read),
        shipping_address: row
            .opt_json("shipping_address")?
            .as_ref()
            .map(address_from_json)
            .transpose()?,
        shipping_service: row.opt_text("shipping_service")?,
        totals: Totals {
            subtotal: row.opt_money("subtotal_price")?,
            discounts: row.opt_money("total_discounts")?,
            shipping: row.opt_money("total_shipping")?,
            tax: row.opt_money("total_tax")?,
            total: row.opt_money("total_price")?,
        },
        lines: Vec::new(),
        fulfillments: Vec::new(),
        cancellations: Vec::new(),
        refunds: Vec::new(),
        events: Vec::new(),
        raw_payload: row.opt_text("raw_payload")?,
        flags: flags_from_text(&row.text("flags")?)?,
        marketplace: MarketplaceState {
            on_hold: row.flag("on_hold")?,
            cancelled_at: row.opt_time("marketplace_cancelled_at")?,
        },
        erased_at: row.opt_time("erased_at")?,
    })
}

fn sku(row: &impl Columns) -> Result<Sku, StoreError> {
    Sku::parse(&row.text("sku")?).map_err(corrupt("sku"))
}

fn quantity(row: &impl Columns) -> Result<Quantity, StoreError> {
    Quantity::new(count(row.int("quantity")?, "quantity")?).map_err(corrupt("quantity"))
}

fn line(row: &impl Columns) -> Result<LineRecord, StoreError> {
    Ok(LineRecord {
        sku: sku(row)?,
        quantity: quantity(row)?,
        unit_price: row.money("unit_price")?,
        total_discount: row.money("total_discount")?,
        total_tax: row.money("total_tax")?,
        external_line_id: row.opt_text("external_line_id")?,
        title: row.opt_text("title")?,
    })
}

fn allocation(row: &impl Columns) -> Result<LineAllocation, StoreError> {
    Ok(LineAllocation {
        line: line_no(row.int("line_no")?)?,
        sku: sku(row)?,
        quantity: quantity(row)?,
    })
}

fn refund_line(row: &impl Columns) -> Result<RefundLine, StoreError> {
    Ok(RefundLine {
        line: line_no(row.int("line_no")?)?,
        sku: sku(row)?,
        quantity: count(row.int("quantity")?, "quantity")?,
        amount: row.money("amount")?,
    })
}

fn fulfillment(row: &impl Columns, lines: Vec<LineAllocation>) -> Result<Fulfillment, StoreError> {
    Ok(Fulfillment::from_parts(
        FulfillmentId::from_uuid(row.uuid("id")?),
        TrackingNumber::parse(&row.text("tracking_number")?).map_err(corrupt("tracking_number"))?,
        row.opt_text("carrier")?
            .map(|c| Carrier::parse(&c))
            .transpose()
            .map_err(corrupt("carrier"))?,
        row.opt_text("tracking_url")?
            .map(|u| TrackingUrl::parse(&u))
            .transpose()
            .map_err(corrupt("tracking_url"))?,
        lines,
        row.time("shipped_at")?,
        row.time("created_at")?,
    ))
}

fn cancellation(
    row: &impl Columns,
    lines: Vec<LineAllocation>,
) -> Result<Cancellation, StoreError> {
    Ok(Cancellation::from_parts(
        CancellationId::from_uuid(row.uuid("id")?),
        cancel_reason(&row.text("reason")?)?,
        row.flag("whole_order")?,
        row.opt_text("note")?,
        lines,
        row.time("created_at")?,
        CancelOrigin::parse(&row.text("origin")?).map_err(corrupt("origin"))?,
    ))
}

fn refund(row: &impl Columns, lines: Vec<RefundLine>) -> Result<Refund, StoreError> {
    Ok(Refund::from_parts(
        RefundId::from_uuid(row.uuid("id")?),
        row.opt_text("reference")?
            .map(|r| RefundReference::parse(&r))
            .transpose()
            .map_err(corrupt("reference"))?,
        refund_reason(&row.text("reason")?)?,
        row.opt_text("note")?,
        lines,
        row.time("created_at")?,
    ))
}

fn event(row: &impl Columns) -> Result<OrderEvent, StoreError> {
    Ok(OrderEvent {
        id: EventId::from_uuid(row.uuid("id")?),
        at: row.time("at")?,
        kind: event_type(&row.text("kind")?)?,
        subject: row.opt_uuid("subject")?,
        detail: row.text("detail")?,
    })
}

/// One fulfillment, cancellation or refund: its first joined row, for its own columns, and its
/// parsed lines.
struct Child<R, L> {
    order: Uuid,
    id: Uuid,
    row: R,
    lines: Vec<L>,
}

/// Groups joined child-and-line rows (ordered by order, child, line) into one entry per child.
fn group<R: Columns, L>(
    rows: Vec<R>,
    line: fn(&R) -> Result<L, StoreError>,
) -> Result<Vec<Child<R, L>>, StoreError> {
    let mut groups: Vec<Child<R, L>> = Vec::new();
    for row in rows {
        let order = row.uuid("order_id")?;
        let id = row.uuid("id")?;
        let parsed = line(&row)?;
        match groups.last_mut() {
            Some(last) if last.order == order && last.id == id => last.lines.push(parsed),
            _ => groups.push(Child {
                order,
                id,
                row,
                lines: vec![parsed],
            }),
        }
    }
    Ok(groups)
}

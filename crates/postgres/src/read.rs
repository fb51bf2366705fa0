//! Loading whole orders: one query per table for any number of orders.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.

use std::collections::HashMap;

use orderbridge_domain::order::{
    Cancellation, Fulfillment, LineAllocation, LineRecord, Order, OrderEvent, OrderRecord, Refund,
    RefundLine, RefundReference, Totals, Version,
};
use orderbridge_domain::ports::store::StoreError;
use orderbridge_domain::values::{
    CancellationId, Carrier, ChannelId, Currency, Email, EventId, ExternalOrderId, FulfillmentId,
    OrderId, Quantity, RefundId, Sku, TrackingNumber, TrackingUrl,
};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::codec::{
    address_from_json, cancel_reason, corrupt, count, event_type, line_no, refund_reason,
};
use crate::db;

/// The columns of `orders` that [`order_header`] reads.
const ORDER_COLUMNS: &str = "id, channel, external_id, version, currency, placed_at, \
     received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
     subtotal_price, total_discounts, total_shipping, total_tax, total_price, \
     raw_payload::text AS raw_payload";

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get(column)
        .map_err(|e| StoreError::with_source(format!("cannot read column {column}"), e))
}

fn order_header(row: &PgRow) -> Result<OrderRecord, StoreError> {
    let version: i64 = get(row, "version")?;
    let email: Option<String> = get(row, "email")?;
    let address: Option<serde_json::Value> = get(row, "shipping_address")?;
    let currency: String = get(row, "currency")?;
    Ok(OrderRecord {
        id: OrderId::from_uuid(get(row, "id")?),
        channel: ChannelId::parse(&get::<String>(row, "channel")?).map_err(corrupt("channel"))?,
        external_id: ExternalOrderId::parse(&get::<String>(row, "external_id")?)
            .map_err(corrupt("external_id"))?,
        version: Version::new(u64::try_from(version).unwrap_or_default()),
        currency: Currency::parse(&currency).map_err(corrupt("currency"))?,
        placed_at: get(row, "placed_at")?,
        received_at: get(row, "received_at")?,
        updated_at: get(row, "updated_at")?,
        deliver_by: get(row, "deliver_by")?,
        email: email
            .map(|e| Email::parse(&e))
            .transpose()
            .map_err(corrupt("email"))?,
        shipping_address: address.as_ref().map(address_from_json).transpose()?,
        shipping_service: get(row, "shipping_service")?,
        totals: Totals {
            subtotal: get(row, "subtotal_price")?,
            discounts: get(row, "total_discounts")?,
            shipping: get(row, "total_shipping")?,
            tax: get(row, "total_tax")?,
            total: get(row, "total_price")?,
        },
        lines: Vec::new(),
        fulfillments: Vec::new(),
        cancellations: Vec::new(),
        refunds: Vec::new(),
        events: Vec::new(),
        raw_payload: get(row, "raw_payload")?,
    })
}

fn allocation(row: &PgRow) -> Result<LineAllocation, StoreError> {
    Ok(LineAllocation {
        line: line_no(get(row, "line_no")?)?,
        sku: Sku::parse(&get::<String>(row, "sku")?).map_err(corrupt("sku"))?,
        quantity: Quantity::new(count(get(row, "quantity")?, "quantity")?)
            .map_err(corrupt("quantity"))?,
    })
}

fn refund_line(row: &PgRow) -> Result<RefundLine, StoreError> {
    let amount: Decimal = get(row, "amount")?;
    Ok(RefundLine {
        line: line_no(get(row, "line_no")?)?,
        sku: Sku::parse(&get::<String>(row, "sku")?).map_err(corrupt("sku"))?,
        quantity: count(get(row, "quantity")?, "quantity")?,
        amount,
    })
}

async fn fetch(
    conn: &mut PgConnection,
    ids: &[Uuid],
    what: &'static str,
    sql: &'static str,
) -> Result<Vec<PgRow>, StoreError> {
    sqlx::query(sql)
        .bind(ids)
        .fetch_all(conn)
        .await
        .map_err(db(what))
}

/// One fulfillment, cancellation or refund: its first joined row, for its own columns, and its
/// parsed lines.
struct Child<'r, L> {
    order: Uuid,
    id: Uuid,
    row: &'r PgRow,
    lines: Vec<L>,
}

/// Groups joined child-and-line rows (ordered by order, child, line) into one entry per child.
fn group<L>(
    rows: &[PgRow],
    line: fn(&PgRow) -> Result<L, StoreError>,
) -> Result<Vec<Child<'_, L>>, StoreError> {
    let mut groups: Vec<Child<'_, L>> = Vec::new();
    for row in rows {
        let order: Uuid = get(row, "order_id")?;
        let id: Uuid = get(row, "id")?;
        let parsed = line(row)?;
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

/// Loads the orders with these ids, in the order given; ids not found are left out.
pub(crate) async fn load_orders(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<Order>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut records: HashMap<Uuid, OrderRecord> = HashMap::with_capacity(ids.len());
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ANY($1)");
    for row in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("load orders"))?
    {
        let record = order_header(&row)?;
        records.insert(record.id.as_uuid(), record);
    }
    if records.is_empty() {
        return Ok(Vec::new());
    }

    let rows = sqlx::query(
        "SELECT order_id, sku, quantity, unit_price, total_discount, total_tax, \
         external_line_id, title FROM order_lines WHERE order_id = ANY($1) \
         ORDER BY order_id, line_no",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("load order lines"))?;
    for row in rows {
        let Some(record) = records.get_mut(&get::<Uuid>(&row, "order_id")?) else {
            continue;
        };
        record.lines.push(LineRecord {
            sku: Sku::parse(&get::<String>(&row, "sku")?).map_err(corrupt("sku"))?,
            quantity: Quantity::new(count(get(&row, "quantity")?, "quantity")?)
                .map_err(corrupt("quantity"))?,
            unit_price: get(&row, "unit_price")?,
            total_discount: get(&row, "total_discount")?,
            total_tax: get(&row, "total_tax")?,
            external_line_id: get(&row, "external_line_id")?,
            title: get(&row, "title")?,
        });
    }

    // Each child's lines are fetched per child row (`LATERAL ... OFFSET 0` keeps the planner
    // from turning it into a join): a plain join let the planner, without statistics on a
    // young database, hash the whole lines table on every load (2.4 ms with 11,000 lines
    // and growing; the benchmark's first round). Per child row it is an index probe.
    let rows = fetch(
        &mut *conn,
        ids,
        "load fulfillments",
        "SELECT f.order_id, f.id, f.tracking_number, f.carrier, f.tracking_url, f.shipped_at, \
         f.created_at, l.line_no, l.sku, l.quantity \
         FROM fulfillments f CROSS JOIN LATERAL (SELECT line_no, sku, quantity, position \
           FROM fulfillment_lines WHERE fulfillment_id = f.id OFFSET 0) l \
         WHERE f.order_id = ANY($1) ORDER BY f.order_id, f.position, l.position",
    )
    .await?;
    for Child {
        order, row, lines, ..
    } in group(&rows, allocation)?
    {
        let carrier: Option<String> = get(row, "carrier")?;
        let url: Option<String> = get(row, "tracking_url")?;
        let fulfillment = Fulfillment::from_parts(
            FulfillmentId::from_uuid(get(row, "id")?),
            TrackingNumber::parse(&get::<String>(row, "tracking_number")?)
                .map_err(corrupt("tracking_number"))?,
            carrier
                .map(|c| Carrier::parse(&c))
                .transpose()
                .map_err(corrupt("carrier"))?,
            url.map(|u| TrackingUrl::parse(&u))
                .transpose()
                .map_err(corrupt("tracking_url"))?,
            lines,
            get(row, "shipped_at")?,
            get(row, "created_at")?,
        );
        if let Some(record) = records.get_mut(&order) {
            record.fulfillments.push(fulfillment);
        }
    }

    let rows = fetch(
        &mut *conn,
        ids,
        "load cancellations",
        "SELECT c.order_id, c.id, c.reason, c.whole_order, c.note, c.created_at, \
         l.line_no, l.sku, l.quantity \
         FROM cancellations c CROSS JOIN LATERAL (SELECT line_no, sku, quantity, position \
           FROM cancellation_lines WHERE cancellation_id = c.id OFFSET 0) l \
         WHERE c.order_id = ANY($1) ORDER BY c.order_id, c.position, l.position",
    )
    .await?;
    for Child {
        order, row, lines, ..
    } in group(&rows, allocation)?
    {
        let cancellation = Cancellation::from_parts(
            CancellationId::from_uuid(get(row, "id")?),
            cancel_reason(&get::<String>(row, "reason")?)?,
            get(row, "whole_order")?,
            get(row, "note")?,
            lines,
            get(row, "created_at")?,
        );
        if let Some(record) = records.get_mut(&order) {
            record.cancellations.push(cancellation);
        }
    }

    let rows = fetch(
        &mut *conn,
        ids,
        "load refunds",
        "SELECT r.order_id, r.id, r.reference, r.reason, r.note, r.created_at, \
         l.line_no, l.sku, l.quantity, l.amount \
         FROM refunds r CROSS JOIN LATERAL (SELECT line_no, sku, quantity, amount, position \
           FROM refund_lines WHERE refund_id = r.id OFFSET 0) l \
         WHERE r.order_id = ANY($1) ORDER BY r.order_id, r.position, l.position",
    )
    .await?;
    for Child {
        order, row, lines, ..
    } in group(&rows, refund_line)?
    {
        let reference: Option<String> = get(row, "reference")?;
        let refund = Refund::from_parts(
            RefundId::from_uuid(get(row, "id")?),
            reference
                .map(|r| RefundReference::parse(&r))
                .transpose()
                .map_err(corrupt("reference"))?,
            refund_reason(&get::<String>(row, "reason")?)?,
            get(row, "note")?,
            lines,
            get(row, "created_at")?,
        );
        if let Some(record) = records.get_mut(&order) {
            record.refunds.push(refund);
        }
    }

    let rows = sqlx::query(
        "SELECT order_id, id, at, kind, subject, detail FROM order_events \
         WHERE order_id = ANY($1) ORDER BY order_id, seq",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("load order events"))?;
    for row in rows {
        let Some(record) = records.get_mut(&get::<Uuid>(&row, "order_id")?) else {
            continue;
        };
        record.events.push(OrderEvent {
            id: EventId::from_uuid(get(&row, "id")?),
            at: get(&row, "at")?,
            kind: event_type(&get::<String>(&row, "kind")?)?,
            subject: get(&row, "subject")?,
            detail: get(&row, "detail")?,
        });
    }

    ids.iter()
        .filter_map(|id| records.remove(id))
        .map(|record| {
            Order::restore(record).map_err(|e| StoreError::with_source("corrupt order", e))
        })
        .collect()
}

//! Writing orders: the insert of a new order and the versioned save of a changed one, each in
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.
//! one transaction with its history entries and outbox rows.

use orderbridge_domain::order::{Order, OrderEvent};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::StoreError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::codec::{address_to_json, int};
use crate::db;

/// Inserts the order row; `false` when (channel, external id) is taken.
pub(crate) async fn insert_order_row(
    conn: &mut PgConnection,
    order: &Order,
) -> Result<bool, StoreError> {
    let totals = order.totals();
    let inserted = sqlx::query(
        "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
         received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
         subtotal_price, total_discounts, total_shipping, total_tax, total_price, raw_payload) \
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18::json) ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(order.id().as_uuid())
    .bind(order.channel().as_str())
    .bind(order.external_id().as_str())
    .bind(order.status().as_str())
    .bind(order.currency().as_str())
    .bind(order.placed_at())
    .bind(order.received_at())
    .bind(order.updated_at())
    .bind(order.deliver_by())
    .bind(order.email().map(|e| e.as_str()))
    .bind(order.shipping_address().map(address_to_json))
    .bind(order.shipping_service())
    .bind(totals.subtotal)
    .bind(totals.discounts)
    .bind(totals.shipping)
    .bind(totals.tax)
    .bind(totals.total)
    .bind(order.raw_payload())
    .execute(&mut *conn)
    .await
    .map_err(db("insert order"))?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    let lines = order.lines();
    sqlx::query(
        "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, total_discount, \
         total_tax, external_line_id, title, shipped, cancelled, refunded) \
         SELECT $1, * FROM UNNEST($2::int[], $3::text[], $4::int[], $5::numeric[], \
         $6::numeric[], $7::numeric[], $8::text[], $9::text[], $10::int[], $11::int[], $12::int[])",
    )
    .bind(order.id().as_uuid())
    .bind(lines.iter().map(|l| int(l.no().get())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.sku().as_str()).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| int(l.quantity().get()))
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| l.unit_price()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.total_discount()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.total_tax()).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| l.external_line_id())
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| l.title()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.shipped())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.cancelled())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.refunded())).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(db("insert order lines"))?;
    Ok(true)
}

/// Moves the order row from `order.version()` to the next version. `false` when the stored
/// version differs (or the order is gone).
pub(crate) async fn bump_version(
    conn: &mut PgConnection,
    order: &Order,
) -> Result<bool, StoreError> {
    let expected = i64::try_from(order.version().get()).unwrap_or(i64::MAX);
    let updated = sqlx::query(
        "UPDATE orders SET version = version + 1, status = $3, updated_at = $4 \
         WHERE id = $1 AND version = $2",
    )
    .bind(order.id().as_uuid())
    .bind(expected)
    .bind(order.status().as_str())
    .bind(order.updated_at())
    .execute(&mut *conn)
    .await
    .map_err(db("update order"))?;
    Ok(updated.rows_affected() == 1)
}

/// Writes the line tallies that changed.
pub(crate) async fn update_tallies(
    conn: &mut PgConnection,
    order: &Order,
) -> Result<(), StoreError> {
    let lines = order.lines();
    sqlx::query(
        "UPDATE order_lines AS l SET shipped = u.shipped, cancelled = u.cancelled, \
         refunded = u.refunded \
         FROM UNNEST($2::int[], $3::int[], $4::int[], $5::int[]) \
              AS u(line_no, shipped, cancelled, refunded) \
         WHERE l.order_id = $1 AND l.line_no = u.line_no \
           AND (l.shipped, l.cancelled, l.refunded) IS DISTINCT FROM \
               (u.shipped, u.cancelled, u.refunded)",
    )
    .bind(order.id().as_uuid())
    .bind(lines.iter().map(|l| int(l.no().get())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.shipped())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.cancelled())).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| int(l.refunded())).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(db("update order lines"))?;
    Ok(())
}

/// Child rows (fulfillment, cancellation or refund lines) flattened for one UNNEST insert.
#[derive(Default)]
struct ChildLines {
    parent: Vec<Uuid>,
    position: Vec<i32>,
    line_no: Vec<i32>,
    sku: Vec<String>,
    quantity: Vec<i32>,
}

impl ChildLines {
    fn push(&mut self, parent: Uuid, position: usize, line: u32, sku: &str, quantity: u32) {
        self.parent.push(parent);
        self.position
            .push(i32::try_from(position).unwrap_or(i32::MAX));
        self.line_no.push(int(line));
        self.sku.push(sku.to_owned());
        self.quantity.push(int(quantity));
    }
}

/// Index of the first new child: children are append-only, so new ones follow the saved ones.
fn first_position(all: usize, new: usize) -> usize {
    all.saturating_sub(new)
}

/// Inserts the fulfillments, cancellations and refunds added since the order was loaded.
pub(crate) async fn insert_children(
    conn: &mut PgConnection,
    order: &Order,
) -> Result<(), StoreError> {
    let order_id = order.id().as_uuid();

    let new = order.new_fulfillments();
    let start = first_position(order.fulfillments().len(), new.len());
    let mut lines = ChildLines::default();
    for (offset, f) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO fulfillments (id, order_id, position, tracking_number, carrier, \
             tracking_url, shipped_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(f.id().as_uuid())
        .bind(order_id)
        .bind(i32::try_from(start + offset).unwrap_or(i32::MAX))
        .bind(f.tracking_number().as_str())
        .bind(f.carrier().map(|c| c.as_str()))
        .bind(f.tracking_url().map(|u| u.as_str()))
        .bind(f.shipped_at())
        .bind(f.created_at())
        .execute(&mut *conn)
        .await
        .map_err(db("insert fulfillment"))?;
        for (i, l) in f.lines().iter().enumerate() {
            lines.push(
                f.id().as_uuid(),
                i,
                l.line.get(),
                l.sku.as_str(),
                l.quantity.get(),
            );
        }
    }
    insert_child_lines(conn, "fulfillment_lines", "fulfillment_id", &lines).await?;

    let new = order.new_cancellations();
    let start = first_position(order.cancellations().len(), new.len());
    let mut lines = ChildLines::default();
    for (offset, c) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO cancellations (id, order_id, position, reason, whole_order, note, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id().as_uuid())
        .bind(order_id)
        .bind(i32::try_from(start + offset).unwrap_or(i32::MAX))
        .bind(c.reason().as_str())
        .bind(c.whole_order())
        .bind(c.note())
        .bind(c.created_at())
        .execute(&mut *conn)
        .await
        .map_err(db("insert cancellation"))?;
        for (i, l) in c.lines().iter().enumerate() {
            lines.push(
                c.id().as_uuid(),
                i,
                l.line.get(),
                l.sku.as_str(),
                l.quantity.get(),
            );
        }
    }
    insert_child_lines(conn, "cancellation_lines", "cancellation_id", &lines).await?;

    let new = order.new_refunds();
    let start = first_position(order.refunds().len(), new.len());
    for (offset, r) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO refunds (id, order_id, position, reference, reason, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id().as_uuid())
        .bind(order_id)
        .bind(i32::try_from(start + offset).unwrap_or(i32::MAX))
        .bind(r.reference().map(|x| x.as_str()))
        .bind(r.reason().as_str())
        .bind(r.note())
        .bind(r.created_at())
        .execute(&mut *conn)
        .await
        .map_err(db("insert refund"))?;
        let lines = r.lines();
        sqlx::query(
            "INSERT INTO refund_lines (refund_id, position, line_no, sku, quantity, amount) \
             SELECT $1, * FROM UNNEST($2::int[], $3::int[], $4::text[], $5::int[], $6::numeric[])",
        )
        .bind(r.id().as_uuid())
        .bind(
            (0..lines.len())
                .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(lines.iter().map(|l| int(l.line.get())).collect::<Vec<_>>())
        .bind(lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
        .bind(lines.iter().map(|l| int(l.quantity)).collect::<Vec<_>>())
        .bind(lines.iter().map(|l| l.amount).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db("insert refund lines"))?;
    }
    Ok(())
}

async fn insert_child_lines(
    conn: &mut PgConnection,
    table: &str,
    parent_column: &str,
    lines: &ChildLines,
) -> Result<(), StoreError> {
    if lines.parent.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {table} ({parent_column}, position, line_no, sku, quantity) \
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[])"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&lines.parent)
        .bind(&lines.position)
        .bind(&lines.line_no)
        .bind(&lines.sku)
        .bind(&lines.quantity)
        .execute(&mut *conn)
        .await
        .map_err(db("insert child lines"))?;
    Ok(())
}

/// Appends history entries.
pub(crate) async fn insert_events(
    conn: &mut PgConnection,
    order_id: Uuid,
    events: &[OrderEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT e.id, $1, e.at, e.kind, e.subject, e.detail \
         FROM UNNEST($2::uuid[], $3::timestamptz[], $4::text[], $5::uuid[], $6::text[]) \
              WITH ORDINALITY AS e(id, at, kind, subject, detail, n) ORDER BY e.n",
    )
    .bind(order_id)
    .bind(events.iter().map(|e| e.id.as_uuid()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.at).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.subject).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(db("insert order events"))?;
    Ok(())
}

/// Queues outbox rows, in the order given.
pub(crate) async fn insert_outbox(
    conn: &mut PgConnection,
    rows: &[NewDelivery],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, created_at, \
         next_attempt_at) \
         SELECT d.id, d.order_id, d.channel, d.kind, d.subject, d.line_no, 'pending', d.at, d.at \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[], \
              $7::timestamptz[]) WITH ORDINALITY AS d(id, order_id, channel, kind, subject, \
              line_no, at, n) ORDER BY d.n",
    )
    .bind(rows.iter().map(|d| d.id.as_uuid()).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|d| d.order_id.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|d| d.channel.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|d| d.kind.name()).collect::<Vec<_>>())
    .bind(rows.iter().map(|d| d.kind.subject()).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|d| d.kind.line().map(|l| int(l.get())))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|d| d.created_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(db("insert outbox rows"))?;
    Ok(())
}

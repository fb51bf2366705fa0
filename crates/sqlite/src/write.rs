//! Writing orders: the insert of a new order and the versioned save of a changed one, each in
//! one transaction with its history entries and outbox rows. SQLite has no arrays, so child rows
//! are inserted one prepared statement at a time (sqlx caches the statement).

use orderbridge_domain::order::{Order, OrderEvent};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::StoreError;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::codec::{address_to_json, int, money, money_opt, position, time, time_opt};
use crate::db;

/// Inserts the order row and its lines; `false` when (channel, external id) is taken.
pub(crate) async fn insert_order_row(
    conn: &mut SqliteConnection,
    order: &Order,
) -> Result<bool, StoreError> {
    let totals = order.totals();
    let inserted = sqlx::query(
        "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
         received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
         subtotal_price, total_discounts, total_shipping, total_tax, total_price, raw_payload) \
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18) ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(order.id().as_uuid())
    .bind(order.channel().as_str())
    .bind(order.external_id().as_str())
    .bind(order.status().as_str())
    .bind(order.currency().as_str())
    .bind(time(order.placed_at()))
    .bind(time(order.received_at()))
    .bind(time(order.updated_at()))
    .bind(time_opt(order.deliver_by()))
    .bind(order.email().map(|e| e.as_str()))
    .bind(order.shipping_address().map(address_to_json))
    .bind(order.shipping_service())
    .bind(money_opt(totals.subtotal))
    .bind(money_opt(totals.discounts))
    .bind(money_opt(totals.shipping))
    .bind(money_opt(totals.tax))
    .bind(money_opt(totals.total))
    .bind(order.raw_payload())
    .execute(&mut *conn)
    .await
    .map_err(db("insert order"))?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    for line in order.lines() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, \
             total_discount, total_tax, external_line_id, title, shipped, cancelled, refunded) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(order.id().as_uuid())
        .bind(int(line.no().get()))
        .bind(line.sku().as_str())
        .bind(int(line.quantity().get()))
        .bind(money(line.unit_price()))
        .bind(money(line.total_discount()))
        .bind(money(line.total_tax()))
        .bind(line.external_line_id())
        .bind(line.title())
        .bind(int(line.shipped()))
        .bind(int(line.cancelled()))
        .bind(int(line.refunded()))
        .execute(&mut *conn)
        .await
        .map_err(db("insert order line"))?;
    }
    Ok(true)
}

/// Moves the order row from `order.version()` to the next version. `false` when the stored
/// version differs (or the order is gone).
pub(crate) async fn bump_version(
    conn: &mut SqliteConnection,
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
    .bind(time(order.updated_at()))
    .execute(&mut *conn)
    .await
    .map_err(db("update order"))?;
    Ok(updated.rows_affected() == 1)
}

/// Writes the line tallies that changed.
pub(crate) async fn update_tallies(
    conn: &mut SqliteConnection,
    order: &Order,
) -> Result<(), StoreError> {
    for line in order.lines() {
        sqlx::query(
            "UPDATE order_lines SET shipped = $3, cancelled = $4, refunded = $5 \
             WHERE order_id = $1 AND line_no = $2 \
               AND (shipped, cancelled, refunded) IS NOT ($3, $4, $5)",
        )
        .bind(order.id().as_uuid())
        .bind(int(line.no().get()))
        .bind(int(line.shipped()))
        .bind(int(line.cancelled()))
        .bind(int(line.refunded()))
        .execute(&mut *conn)
        .await
        .map_err(db("update order lines"))?;
    }
    Ok(())
}

/// Index of the first new child: children are append-only, so new ones follow the saved ones.
fn first_position(all: usize, new: usize) -> usize {
    all.saturating_sub(new)
}

/// One fulfillment or cancellation line.
async fn insert_allocation(
    conn: &mut SqliteConnection,
    sql: &'static str,
    parent: Uuid,
    index: usize,
    line: &orderbridge_domain::order::LineAllocation,
) -> Result<(), StoreError> {
    sqlx::query(sql)
        .bind(parent)
        .bind(position(index))
        .bind(int(line.line.get()))
        .bind(line.sku.as_str())
        .bind(int(line.quantity.get()))
        .execute(&mut *conn)
        .await
        .map_err(db("insert child line"))?;
    Ok(())
}

/// Inserts the fulfillments, cancellations and refunds added since the order was loaded.
pub(crate) async fn insert_children(
    conn: &mut SqliteConnection,
    order: &Order,
) -> Result<(), StoreError> {
    let order_id = order.id().as_uuid();

    let new = order.new_fulfillments();
    let start = first_position(order.fulfillments().len(), new.len());
    for (offset, f) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO fulfillments (id, order_id, position, tracking_number, carrier, \
             tracking_url, shipped_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(f.id().as_uuid())
        .bind(order_id)
        .bind(position(start + offset))
        .bind(f.tracking_number().as_str())
        .bind(f.carrier().map(|c| c.as_str()))
        .bind(f.tracking_url().map(|u| u.as_str()))
        .bind(time(f.shipped_at()))
        .bind(time(f.created_at()))
        .execute(&mut *conn)
        .await
        .map_err(db("insert fulfillment"))?;
        for (i, line) in f.lines().iter().enumerate() {
            insert_allocation(
                conn,
                "INSERT INTO fulfillment_lines (fulfillment_id, position, line_no, sku, \
                 quantity) VALUES ($1, $2, $3, $4, $5)",
                f.id().as_uuid(),
                i,
                line,
            )
            .await?;
        }
    }

    let new = order.new_cancellations();
    let start = first_position(order.cancellations().len(), new.len());
    for (offset, c) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO cancellations (id, order_id, position, reason, whole_order, note, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id().as_uuid())
        .bind(order_id)
        .bind(position(start + offset))
        .bind(c.reason().as_str())
        .bind(c.whole_order())
        .bind(c.note())
        .bind(time(c.created_at()))
        .execute(&mut *conn)
        .await
        .map_err(db("insert cancellation"))?;
        for (i, line) in c.lines().iter().enumerate() {
            insert_allocation(
                conn,
                "INSERT INTO cancellation_lines (cancellation_id, position, line_no, sku, \
                 quantity) VALUES ($1, $2, $3, $4, $5)",
                c.id().as_uuid(),
                i,
                line,
            )
            .await?;
        }
    }

    let new = order.new_refunds();
    let start = first_position(order.refunds().len(), new.len());
    for (offset, r) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO refunds (id, order_id, position, reference, reason, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id().as_uuid())
        .bind(order_id)
        .bind(position(start + offset))
        .bind(r.reference().map(|x| x.as_str()))
        .bind(r.reason().as_str())
        .bind(r.note())
        .bind(time(r.created_at()))
        .execute(&mut *conn)
        .await
        .map_err(db("insert refund"))?;
        for (i, line) in r.lines().iter().enumerate() {
            sqlx::query(
                "INSERT INTO refund_lines (refund_id, position, line_no, sku, quantity, amount) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.id().as_uuid())
            .bind(position(i))
            .bind(int(line.line.get()))
            .bind(line.sku.as_str())
            .bind(int(line.quantity))
            .bind(money(line.amount))
            .execute(&mut *conn)
            .await
            .map_err(db("insert refund line"))?;
        }
    }
    Ok(())
}

/// Appends history entries, in the order given (their `seq` keeps that order).
pub(crate) async fn insert_events(
    conn: &mut SqliteConnection,
    order_id: Uuid,
    events: &[OrderEvent],
) -> Result<(), StoreError> {
    for event in events {
        sqlx::query(
            "INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(event.id.as_uuid())
        .bind(order_id)
        .bind(time(event.at))
        .bind(event.kind.as_str())
        .bind(event.subject)
        .bind(event.detail.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db("insert order event"))?;
    }
    Ok(())
}

/// Queues outbox rows, in the order given (their `seq` keeps that order).
pub(crate) async fn insert_outbox(
    conn: &mut SqliteConnection,
    rows: &[NewDelivery],
) -> Result<(), StoreError> {
    for row in rows {
        let at = time(row.created_at);
        sqlx::query(
            "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, \
             created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
        )
        .bind(row.id.as_uuid())
        .bind(row.order_id.as_uuid())
        .bind(row.channel.as_str())
        .bind(row.kind.name())
        .bind(row.kind.subject())
        .bind(row.kind.line().map(|l| int(l.get())))
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(db("insert outbox row"))?;
    }
    Ok(())
}

//! New orders of a group commit on PostgreSQL: one statement per table for the whole batch
//! (`UNNEST` of each column), not one per order.

use std::collections::HashSet;

use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::write::NewOrderWrite;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::write::column;

/// Inserts `orders` (rows, lines, history), skipping those whose channel and external id are
/// taken (by an earlier one of the list too: rows go in the order given); whether each was.
pub(crate) async fn insert_new_orders(
    conn: &mut PgConnection,
    orders: &[NewOrderWrite<'_>],
) -> Result<Vec<bool>, StoreError> {
    let rows: Vec<_> = orders.iter().map(|o| &o.row).collect();
    // `raw_payload` goes in as text and becomes `json` (kept exactly; see `insert_order`).
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
         received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
         subtotal_price, total_discounts, total_shipping, total_tax, total_price, raw_payload, \
         flags) \
         SELECT o.id, o.channel, o.external_id, 1, o.status, o.currency, o.placed_at, \
                o.received_at, o.updated_at, o.deliver_by, o.email, o.shipping_address::jsonb, \
                o.shipping_service, o.subtotal_price, o.total_discounts, o.total_shipping, \
                o.total_tax, o.total_price, o.raw_payload::json, o.flags \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
              $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], \
              $10::text[], $11::text[], $12::text[], $13::numeric[], $14::numeric[], \
              $15::numeric[], $16::numeric[], $17::numeric[], $18::text[], $19::text[]) \
              WITH ORDINALITY AS o(id, channel, external_id, status, currency, placed_at, \
              received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
              subtotal_price, total_discounts, total_shipping, total_tax, total_price, \
              raw_payload, flags, n) \
         ORDER BY o.n \
         ON CONFLICT (channel, external_id) DO NOTHING RETURNING id",
    )
    .bind(column(&rows, |r| r.id))
    .bind(column(&rows, |r| r.channel))
    .bind(column(&rows, |r| r.external_id))
    .bind(column(&rows, |r| r.status))
    .bind(column(&rows, |r| r.currency.as_str()))
    .bind(column(&rows, |r| r.placed_at))
    .bind(column(&rows, |r| r.received_at))
    .bind(column(&rows, |r| r.updated_at))
    .bind(column(&rows, |r| r.deliver_by))
    .bind(column(&rows, |r| r.email))
    .bind(column(&rows, |r| {
        r.shipping_address.as_ref().map(|a| a.to_string())
    }))
    .bind(column(&rows, |r| r.shipping_service))
    .bind(column(&rows, |r| r.subtotal_price))
    .bind(column(&rows, |r| r.total_discounts))
    .bind(column(&rows, |r| r.total_shipping))
    .bind(column(&rows, |r| r.total_tax))
    .bind(column(&rows, |r| r.total_price))
    .bind(column(&rows, |r| r.raw_payload))
    .bind(column(&rows, |r| r.flags.as_str()))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("insert orders"))?;
    let inserted: HashSet<Uuid> = inserted.into_iter().collect();
    let new: Vec<&NewOrderWrite<'_>> = orders
        .iter()
        .filter(|o| inserted.contains(&o.row.id))
        .collect();
    insert_lines(conn, &new).await?;
    insert_events(conn, &new).await?;
    Ok(orders
        .iter()
        .map(|o| inserted.contains(&o.row.id))
        .collect())
}

/// The lines of the orders inserted.
async fn insert_lines(
    conn: &mut PgConnection,
    orders: &[&NewOrderWrite<'_>],
) -> Result<(), StoreError> {
    let lines: Vec<_> = orders
        .iter()
        .flat_map(|o| o.lines.iter().map(move |l| (o.row.id, l)))
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, \
         total_discount, total_tax, external_line_id, title, shipped, cancelled, refunded) \
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::text[], $4::int[], $5::numeric[], \
         $6::numeric[], $7::numeric[], $8::text[], $9::text[], $10::int[], $11::int[], \
         $12::int[])",
    )
    .bind(column(&lines, |(id, _)| *id))
    .bind(column(&lines, |(_, l)| l.tally.line_no))
    .bind(column(&lines, |(_, l)| l.sku))
    .bind(column(&lines, |(_, l)| l.quantity))
    .bind(column(&lines, |(_, l)| l.unit_price))
    .bind(column(&lines, |(_, l)| l.total_discount))
    .bind(column(&lines, |(_, l)| l.total_tax))
    .bind(column(&lines, |(_, l)| l.external_line_id))
    .bind(column(&lines, |(_, l)| l.title))
    .bind(column(&lines, |(_, l)| l.tally.shipped))
    .bind(column(&lines, |(_, l)| l.tally.cancelled))
    .bind(column(&lines, |(_, l)| l.tally.refunded))
    .execute(&mut *conn)
    .await
    .map_err(db("insert order lines"))?;
    Ok(())
}

/// The history entries of the orders inserted, each order's in its order.
async fn insert_events(
    conn: &mut PgConnection,
    orders: &[&NewOrderWrite<'_>],
) -> Result<(), StoreError> {
    let events: Vec<_> = orders
        .iter()
        .flat_map(|o| o.events.iter().map(move |e| (o.row.id, e)))
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT e.id, e.order_id, e.at, e.kind, e.subject, e.detail \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::uuid[], \
              $6::text[]) WITH ORDINALITY AS e(id, order_id, at, kind, subject, detail, n) \
         ORDER BY e.n",
    )
    .bind(column(&events, |(_, e)| e.id.as_uuid()))
    .bind(column(&events, |(id, _)| *id))
    .bind(column(&events, |(_, e)| e.at))
    .bind(column(&events, |(_, e)| e.kind.as_str()))
    .bind(column(&events, |(_, e)| e.subject))
    .bind(column(&events, |(_, e)| e.detail.as_str()))
    .execute(&mut *conn)
    .await
    .map_err(db("insert order events"))?;
    Ok(())
}

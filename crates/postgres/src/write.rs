//! The statements that write orders, run by the shared insert and save procedures of
//! [`orderbridge_rows::write`]: arrays bound once per table (`UNNEST`), so that an order with
//! many lines or children costs one statement per table.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants only, never
//! from input.

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::write::{
    ChildLineRow, HeaderChange, LineRow, NewChildren, NewOrderWrite, OrderRow, OrderWrites,
    OutboxRow, Tally, WaitRow,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::store::Tx;

/// One column of `rows`, as an array to bind.
pub(crate) fn column<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

#[async_trait]
impl OrderWrites for Tx {
    async fn insert_order(
        &mut self,
        order: &OrderRow<'_>,
        lines: &[LineRow<'_>],
    ) -> Result<bool, StoreError> {
        // `raw_payload` is `json`, not `jsonb`: `json` keeps the text exactly as received
        // (spacing, key order, escapes), and it takes a `\u0000` escape, which `jsonb` refuses
        // (PostgreSQL text cannot hold NUL). The payload is always valid JSON text (an adapter
        // keeps it only once it parsed), so it never holds a raw NUL byte itself.
        let inserted = sqlx::query(
            "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
             received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
             subtotal_price, total_discounts, total_shipping, total_tax, total_price, \
             raw_payload, flags) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18::json, $19) ON CONFLICT (channel, external_id) DO NOTHING",
        )
        .bind(order.id)
        .bind(order.channel)
        .bind(order.external_id)
        .bind(order.status)
        .bind(order.currency.as_str())
        .bind(order.placed_at)
        .bind(order.received_at)
        .bind(order.updated_at)
        .bind(order.deliver_by)
        .bind(order.email)
        .bind(&order.shipping_address)
        .bind(order.shipping_service)
        .bind(order.subtotal_price)
        .bind(order.total_discounts)
        .bind(order.total_shipping)
        .bind(order.total_tax)
        .bind(order.total_price)
        .bind(order.raw_payload)
        .bind(&order.flags)
        .execute(&mut *self.0)
        .await
        .map_err(db("insert order"))?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, \
             total_discount, total_tax, external_line_id, title, shipped, cancelled, refunded) \
             SELECT $1, * FROM UNNEST($2::int[], $3::text[], $4::int[], $5::numeric[], \
             $6::numeric[], $7::numeric[], $8::text[], $9::text[], $10::int[], $11::int[], \
             $12::int[])",
        )
        .bind(order.id)
        .bind(column(lines, |l| l.tally.line_no))
        .bind(column(lines, |l| l.sku))
        .bind(column(lines, |l| l.quantity))
        .bind(column(lines, |l| l.unit_price))
        .bind(column(lines, |l| l.total_discount))
        .bind(column(lines, |l| l.total_tax))
        .bind(column(lines, |l| l.external_line_id))
        .bind(column(lines, |l| l.title))
        .bind(column(lines, |l| l.tally.shipped))
        .bind(column(lines, |l| l.tally.cancelled))
        .bind(column(lines, |l| l.tally.refunded))
        .execute(&mut *self.0)
        .await
        .map_err(db("insert order lines"))?;
        Ok(true)
    }

    async fn insert_new_orders(
        &mut self,
        orders: &[NewOrderWrite<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        crate::batch::insert_new_orders(&mut self.0, orders).await
    }

    async fn bump_version(
        &mut self,
        id: Uuid,
        expected: i64,
        change: &HeaderChange<'_>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE orders SET version = version + 1, status = $3, updated_at = $4, \
             on_hold = $5, marketplace_cancelled_at = $6 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected)
        .bind(change.status)
        .bind(change.updated_at)
        .bind(change.on_hold)
        .bind(change.marketplace_cancelled_at)
        .execute(&mut *self.0)
        .await
        .map_err(db("update order"))?;
        Ok(updated.rows_affected() == 1)
    }

    async fn exists(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.0)
            .await
            .map_err(db("check order"))?;
        Ok(found.is_some())
    }

    async fn update_tallies(
        &mut self,
        order_id: Uuid,
        tallies: &[Tally],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE order_lines AS l SET shipped = u.shipped, cancelled = u.cancelled, \
             refunded = u.refunded \
             FROM UNNEST($2::int[], $3::int[], $4::int[], $5::int[]) \
                  AS u(line_no, shipped, cancelled, refunded) \
             WHERE l.order_id = $1 AND l.line_no = u.line_no \
               AND (l.shipped, l.cancelled, l.refunded) IS DISTINCT FROM \
                   (u.shipped, u.cancelled, u.refunded)",
        )
        .bind(order_id)
        .bind(column(tallies, |t| t.line_no))
        .bind(column(tallies, |t| t.shipped))
        .bind(column(tallies, |t| t.cancelled))
        .bind(column(tallies, |t| t.refunded))
        .execute(&mut *self.0)
        .await
        .map_err(db("update order lines"))?;
        Ok(())
    }

    async fn insert_children(
        &mut self,
        order_id: Uuid,
        children: &NewChildren<'_>,
    ) -> Result<(), StoreError> {
        for f in &children.fulfillments {
            sqlx::query(
                "INSERT INTO fulfillments (id, order_id, position, tracking_number, carrier, \
                 tracking_url, shipped_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(f.id)
            .bind(order_id)
            .bind(f.position)
            .bind(f.tracking_number)
            .bind(f.carrier)
            .bind(f.tracking_url)
            .bind(f.shipped_at)
            .bind(f.created_at)
            .execute(&mut *self.0)
            .await
            .map_err(db("insert fulfillment"))?;
        }
        insert_lines(
            &mut self.0,
            ChildTable::Fulfillment,
            &children.fulfillment_lines,
        )
        .await?;
        for c in &children.cancellations {
            sqlx::query(
                "INSERT INTO cancellations (id, order_id, position, reason, whole_order, note, \
                 created_at, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(c.id)
            .bind(order_id)
            .bind(c.position)
            .bind(c.reason)
            .bind(c.whole_order)
            .bind(c.note)
            .bind(c.created_at)
            .bind(c.origin)
            .execute(&mut *self.0)
            .await
            .map_err(db("insert cancellation"))?;
        }
        insert_lines(
            &mut self.0,
            ChildTable::Cancellation,
            &children.cancellation_lines,
        )
        .await?;
        for r in &children.refunds {
            sqlx::query(
                "INSERT INTO refunds (id, order_id, position, reference, reason, note, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.id)
            .bind(order_id)
            .bind(r.position)
            .bind(r.reference)
            .bind(r.reason)
            .bind(r.note)
            .bind(r.created_at)
            .execute(&mut *self.0)
            .await
            .map_err(db("insert refund"))?;
        }
        insert_lines(&mut self.0, ChildTable::Refund, &children.refund_lines).await
    }

    async fn insert_events(
        &mut self,
        order_id: Uuid,
        events: &[OrderEvent],
    ) -> Result<(), StoreError> {
        insert_events(&mut self.0, order_id, events).await
    }

    async fn insert_outbox(&mut self, rows: &[OutboxRow<'_>]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, \
             created_at, next_attempt_at) \
             SELECT d.id, d.order_id, d.channel, d.kind, d.subject, d.line_no, 'pending', d.at, \
                    d.at \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[], \
                  $7::timestamptz[]) WITH ORDINALITY AS d(id, order_id, channel, kind, subject, \
                  line_no, at, n) ORDER BY d.n",
        )
        .bind(column(rows, |d| d.id))
        .bind(column(rows, |d| d.order_id))
        .bind(column(rows, |d| d.channel))
        .bind(column(rows, |d| d.kind))
        .bind(column(rows, |d| d.subject))
        .bind(column(rows, |d| d.line_no))
        .bind(column(rows, |d| d.created_at))
        .execute(&mut *self.0)
        .await
        .map_err(db("insert outbox rows"))?;
        Ok(())
    }

    async fn supersede(
        &mut self,
        order_id: Uuid,
        channel: &str,
        keep: Uuid,
    ) -> Result<(), StoreError> {
        // One statement: the superseded calls, then what waited for them moved to `keep`.
        sqlx::query(
            "WITH old AS (UPDATE outbox SET state = 'superseded' \
                          WHERE order_id = $1 AND channel = $2 AND kind = 'order_fulfillment' \
                            AND state = 'pending' AND lease_token IS NULL AND id <> $3 \
                          RETURNING id), \
                  moved AS (DELETE FROM outbox_waits WHERE waits_for IN (SELECT id FROM old) \
                            RETURNING delivery_id) \
             INSERT INTO outbox_waits (delivery_id, waits_for) \
             SELECT DISTINCT delivery_id, $3::uuid FROM moved ON CONFLICT DO NOTHING",
        )
        .bind(order_id)
        .bind(channel)
        .bind(keep)
        .execute(&mut *self.0)
        .await
        .map_err(db("supersede a whole-order call"))?;
        Ok(())
    }

    async fn insert_waits(&mut self, waits: &[WaitRow<'_>]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox_waits (delivery_id, waits_for) \
             SELECT DISTINCT w.delivery, p.id \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[]) \
                  AS w(delivery, order_id, channel, kind, subject) \
             JOIN outbox p ON p.order_id = w.order_id AND p.channel = w.channel \
                          AND p.kind = w.kind \
                          AND (w.subject IS NULL OR p.subject = w.subject) \
             WHERE p.id <> w.delivery AND p.state IN ('pending', 'dead') \
             ON CONFLICT DO NOTHING",
        )
        .bind(column(waits, |w| w.delivery))
        .bind(column(waits, |w| w.order_id))
        .bind(column(waits, |w| w.channel))
        .bind(column(waits, |w| w.kind))
        .bind(column(waits, |w| w.subject))
        .execute(&mut *self.0)
        .await
        .map_err(db("record what deliveries wait for"))?;
        Ok(())
    }

    async fn insert_alerts(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        let alerts: Vec<&Alert> = alerts.iter().collect();
        crate::channels::insert_alerts(&mut self.0, &alerts).await
    }
}

/// Whose lines a batch of child lines is.
#[derive(Clone, Copy)]
enum ChildTable {
    Fulfillment,
    Cancellation,
    Refund,
}

/// Inserts child lines in one statement.
async fn insert_lines(
    conn: &mut PgConnection,
    table: ChildTable,
    lines: &[ChildLineRow<'_>],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let sql = match table {
        ChildTable::Fulfillment => {
            "INSERT INTO fulfillment_lines (fulfillment_id, position, line_no, sku, quantity) \
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[])"
        }
        ChildTable::Cancellation => {
            "INSERT INTO cancellation_lines (cancellation_id, position, line_no, sku, quantity) \
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[])"
        }
        ChildTable::Refund => {
            "INSERT INTO refund_lines (refund_id, position, line_no, sku, quantity, amount) \
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], \
             $6::numeric[])"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(column(lines, |l| l.parent))
        .bind(column(lines, |l| l.position))
        .bind(column(lines, |l| l.line_no))
        .bind(column(lines, |l| l.sku))
        .bind(column(lines, |l| l.quantity));
    if matches!(table, ChildTable::Refund) {
        query = query.bind(column(lines, |l| l.amount));
    }
    query
        .execute(&mut *conn)
        .await
        .map_err(db("insert child lines"))?;
    Ok(())
}

/// Appends history entries, keeping their order.
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
    .bind(column(events, |e| e.id.as_uuid()))
    .bind(column(events, |e| e.at))
    .bind(column(events, |e| e.kind.as_str()))
    .bind(column(events, |e| e.subject))
    .bind(column(events, |e| e.detail.as_str()))
    .execute(&mut *conn)
    .await
    .map_err(db("insert order events"))?;
    Ok(())
}

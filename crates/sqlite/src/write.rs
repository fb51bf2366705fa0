//! The statements that write orders, run by the shared insert and save procedures of
//! [`orderbridge_rows::write`]. SQLite has no arrays, so rows are inserted one prepared
//! statement at a time (sqlx caches the statement), outbox rows many to a statement; times
//! and amounts are written as text.

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_rows::write::{
    ChildLineRow, HeaderChange, LineRow, NewChildren, OrderRow, OrderWrites, OutboxRow, Tally,
    WaitRow,
};
use sqlx::{QueryBuilder, SqliteConnection};
use uuid::Uuid;

use crate::codec::{money, money_opt, time, time_opt};
use crate::db;
use crate::store::Tx;

/// Outbox rows per insert statement: eight bound values a row, well under SQLite's 32,766.
const OUTBOX_ROWS_PER_STATEMENT: usize = 500;

#[async_trait]
impl OrderWrites for Tx {
    async fn insert_order(
        &mut self,
        order: &OrderRow<'_>,
        lines: &[LineRow<'_>],
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
             received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
             subtotal_price, total_discounts, total_shipping, total_tax, total_price, \
             raw_payload, flags) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19) ON CONFLICT (channel, external_id) DO NOTHING",
        )
        .bind(order.id)
        .bind(order.channel)
        .bind(order.external_id)
        .bind(order.status)
        .bind(order.currency.as_str())
        .bind(time(order.placed_at))
        .bind(time(order.received_at))
        .bind(time(order.updated_at))
        .bind(time_opt(order.deliver_by))
        .bind(order.email)
        .bind(order.shipping_address.as_ref().map(ToString::to_string))
        .bind(order.shipping_service)
        .bind(money_opt(order.subtotal_price))
        .bind(money_opt(order.total_discounts))
        .bind(money_opt(order.total_shipping))
        .bind(money_opt(order.total_tax))
        .bind(money_opt(order.total_price))
        .bind(order.raw_payload)
        .bind(&order.flags)
        .execute(&mut *self.0)
        .await
        .map_err(db("insert order"))?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        for line in lines {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, \
                 total_discount, total_tax, external_line_id, title, shipped, cancelled, \
                 refunded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(order.id)
            .bind(line.tally.line_no)
            .bind(line.sku)
            .bind(line.quantity)
            .bind(money(line.unit_price))
            .bind(money(line.total_discount))
            .bind(money(line.total_tax))
            .bind(line.external_line_id)
            .bind(line.title)
            .bind(line.tally.shipped)
            .bind(line.tally.cancelled)
            .bind(line.tally.refunded)
            .execute(&mut *self.0)
            .await
            .map_err(db("insert order line"))?;
        }
        Ok(true)
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
        .bind(time(change.updated_at))
        .bind(change.on_hold)
        .bind(time_opt(change.marketplace_cancelled_at))
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
        for tally in tallies {
            sqlx::query(
                "UPDATE order_lines SET shipped = $3, cancelled = $4, refunded = $5 \
                 WHERE order_id = $1 AND line_no = $2 \
                   AND (shipped, cancelled, refunded) IS NOT ($3, $4, $5)",
            )
            .bind(order_id)
            .bind(tally.line_no)
            .bind(tally.shipped)
            .bind(tally.cancelled)
            .bind(tally.refunded)
            .execute(&mut *self.0)
            .await
            .map_err(db("update order lines"))?;
        }
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
            .bind(time(f.shipped_at))
            .bind(time(f.created_at))
            .execute(&mut *self.0)
            .await
            .map_err(db("insert fulfillment"))?;
        }
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
            .bind(time(c.created_at))
            .bind(c.origin)
            .execute(&mut *self.0)
            .await
            .map_err(db("insert cancellation"))?;
        }
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
            .bind(time(r.created_at))
            .execute(&mut *self.0)
            .await
            .map_err(db("insert refund"))?;
        }
        let tables = [
            (
                "fulfillment_lines",
                "fulfillment_id",
                &children.fulfillment_lines,
            ),
            (
                "cancellation_lines",
                "cancellation_id",
                &children.cancellation_lines,
            ),
            ("refund_lines", "refund_id", &children.refund_lines),
        ];
        for (table, parent, lines) in tables {
            for line in lines {
                insert_line(&mut self.0, table, parent, line).await?;
            }
        }
        Ok(())
    }

    async fn insert_events(
        &mut self,
        order_id: Uuid,
        events: &[OrderEvent],
    ) -> Result<(), StoreError> {
        insert_events(&mut self.0, order_id, events).await
    }

    async fn insert_outbox(&mut self, rows: &[OutboxRow<'_>]) -> Result<(), StoreError> {
        // One multi-row statement per chunk, in the order given (their `seq`), not one
        // statement a row: a fulfillment queues a row per line and channel.
        for chunk in rows.chunks(OUTBOX_ROWS_PER_STATEMENT) {
            let mut sql = QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, \
                 created_at, next_attempt_at) ",
            );
            sql.push_values(chunk, |mut values, row| {
                let at = time(row.created_at);
                values
                    .push_bind(row.id)
                    .push_bind(row.order_id)
                    .push_bind(row.channel)
                    .push_bind(row.kind)
                    .push_bind(row.subject)
                    .push_bind(row.line_no)
                    .push("'pending'")
                    .push_bind(at.clone())
                    .push_bind(at);
            });
            sql.build()
                .execute(&mut *self.0)
                .await
                .map_err(db("insert outbox rows"))?;
        }
        Ok(())
    }

    async fn supersede(
        &mut self,
        order_id: Uuid,
        channel: &str,
        keep: Uuid,
    ) -> Result<(), StoreError> {
        let old: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE outbox SET state = 'superseded' \
             WHERE order_id = $1 AND channel = $2 AND kind = 'order_fulfillment' \
               AND state = 'pending' AND lease_token IS NULL AND id <> $3 \
             RETURNING id",
        )
        .bind(order_id)
        .bind(channel)
        .bind(keep)
        .fetch_all(&mut *self.0)
        .await
        .map_err(db("supersede a whole-order call"))?;
        for superseded in old {
            sqlx::query(
                "INSERT OR IGNORE INTO outbox_waits (delivery_id, waits_for) \
                 SELECT delivery_id, $2 FROM outbox_waits WHERE waits_for = $1",
            )
            .bind(superseded)
            .bind(keep)
            .execute(&mut *self.0)
            .await
            .map_err(db("move waits to the new whole-order call"))?;
            sqlx::query("DELETE FROM outbox_waits WHERE waits_for = $1")
                .bind(superseded)
                .execute(&mut *self.0)
                .await
                .map_err(db("move waits to the new whole-order call"))?;
        }
        Ok(())
    }

    async fn insert_waits(&mut self, waits: &[WaitRow<'_>]) -> Result<(), StoreError> {
        for wait in waits {
            sqlx::query(
                "INSERT OR IGNORE INTO outbox_waits (delivery_id, waits_for) \
                 SELECT $1, p.id FROM outbox p \
                 WHERE p.order_id = $2 AND p.channel = $3 AND p.kind = $4 \
                   AND ($5 IS NULL OR p.subject = $5) AND p.id <> $1 \
                   AND p.state IN ('pending', 'dead')",
            )
            .bind(wait.delivery)
            .bind(wait.order_id)
            .bind(wait.channel)
            .bind(wait.kind)
            .bind(wait.subject)
            .execute(&mut *self.0)
            .await
            .map_err(db("record what deliveries wait for"))?;
        }
        Ok(())
    }

    async fn insert_alerts(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        crate::channels::insert_alerts(&mut self.0, alerts).await
    }
}

/// One fulfillment, cancellation or refund line (`table` and `parent` name its table and
/// parent column, from this module's constants only).
async fn insert_line(
    conn: &mut SqliteConnection,
    table: &'static str,
    parent: &'static str,
    line: &ChildLineRow<'_>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO {table} ({parent}, position, line_no, sku, quantity{}) \
         VALUES ($1, $2, $3, $4, $5{})",
        if line.amount.is_some() {
            ", amount"
        } else {
            ""
        },
        if line.amount.is_some() { ", $6" } else { "" },
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(line.parent)
        .bind(line.position)
        .bind(line.line_no)
        .bind(line.sku)
        .bind(line.quantity);
    if let Some(amount) = line.amount {
        query = query.bind(money(amount));
    }
    query
        .execute(&mut *conn)
        .await
        .map_err(db("insert child line"))?;
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

//! The statements that read orders: one query per table for any number of orders (run by the
//! shared [`orderbridge_rows::read::load_orders`]), the lookup by marketplace id, and the keys
//! of a keyset page. Dynamic SQL here is assembled from this
//! module's constants and `?` placeholders only, never from input.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{OrderQuery, OverdueQuery, StoreError};
use orderbridge_rows::Columns;
use orderbridge_rows::read::{OrderReads, Part};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::codec::time;
use crate::db;
use crate::deadlines::{OVERDUE_AT, OVERDUE_ORDERS};
use crate::row::{Row, rows};
use crate::store::Tx;

/// Each part's query, as the text before the list of order ids (`... IN (`) and after it.
fn query(part: Part) -> (&'static str, &'static str, &'static str) {
    match part {
        Part::Headers => (
            "load orders",
            "SELECT id, channel, external_id, version, currency, placed_at, received_at, \
             updated_at, deliver_by, email, shipping_address, shipping_service, subtotal_price, \
             total_discounts, total_shipping, total_tax, total_price, raw_payload, flags, \
             on_hold, marketplace_cancelled_at, erased_at FROM orders WHERE id IN (",
            ")",
        ),
        Part::Lines => (
            "load order lines",
            "SELECT order_id, sku, quantity, unit_price, total_discount, total_tax, \
             external_line_id, title FROM order_lines WHERE order_id IN (",
            ") ORDER BY order_id, line_no",
        ),
        Part::Fulfillments => (
            "load fulfillments",
            "SELECT f.order_id, f.id, f.tracking_number, f.carrier, f.tracking_url, \
             f.shipped_at, f.created_at, l.line_no, l.sku, l.quantity \
             FROM fulfillments f JOIN fulfillment_lines l ON l.fulfillment_id = f.id \
             WHERE f.order_id IN (",
            ") ORDER BY f.order_id, f.position, l.position",
        ),
        Part::Cancellations => (
            "load cancellations",
            "SELECT c.order_id, c.id, c.reason, c.whole_order, c.note, c.created_at, c.origin, \
             l.line_no, l.sku, l.quantity \
             FROM cancellations c JOIN cancellation_lines l ON l.cancellation_id = c.id \
             WHERE c.order_id IN (",
            ") ORDER BY c.order_id, c.position, l.position",
        ),
        Part::Refunds => (
            "load refunds",
            "SELECT r.order_id, r.id, r.reference, r.reason, r.note, r.created_at, \
             l.line_no, l.sku, l.quantity, l.amount \
             FROM refunds r JOIN refund_lines l ON l.refund_id = r.id \
             WHERE r.order_id IN (",
            ") ORDER BY r.order_id, r.position, l.position",
        ),
        Part::Events => (
            "load order events",
            "SELECT order_id, id, at, kind, subject, detail FROM order_events \
             WHERE order_id IN (",
            ") ORDER BY order_id, seq",
        ),
    }
}

#[async_trait]
impl OrderReads for Tx {
    type Row = Row;

    async fn fetch(&mut self, part: Part, ids: &[Uuid]) -> Result<Vec<Row>, StoreError> {
        let (what, head, tail) = query(part);
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(head);
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        sql.push(tail);
        sql.build()
            .fetch_all(&mut *self.0)
            .await
            .map(rows)
            .map_err(db(what))
    }

    async fn page_keys(
        &mut self,
        query: &OrderQuery,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let mut sql =
            QueryBuilder::<sqlx::Sqlite>::new("SELECT id, updated_at FROM orders WHERE true");
        if !query.statuses.is_empty() {
            sql.push(" AND status IN (");
            let mut list = sql.separated(", ");
            for status in &query.statuses {
                list.push_bind(status.as_str());
            }
            sql.push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        // Literal, so that the partial index of orders on hold is used (migration 0012).
        match query.on_hold {
            Some(true) => {
                sql.push(" AND on_hold = 1");
            }
            Some(false) => {
                sql.push(" AND on_hold = 0");
            }
            None => {}
        }
        if let Some(after) = query.updated_after {
            sql.push(" AND updated_at > ").push_bind(time(after));
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (updated_at, id) > (")
                .push_bind(time(cursor.updated_at))
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY updated_at, id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = sql
            .build()
            .fetch_all(&mut *self.0)
            .await
            .map_err(db("list orders"))?;
        rows.into_iter()
            .map(|row| {
                let row = Row(row);
                Ok((row.uuid("id")?, row.time("updated_at")?))
            })
            .collect()
    }

    async fn overdue_keys(
        &mut self,
        query: &OverdueQuery,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new("SELECT id, deliver_by FROM ");
        sql.push(OVERDUE_ORDERS)
            .push(" WHERE ")
            .push(OVERDUE_AT)
            .push_bind(time(query.now));
        if !query.statuses.is_empty() {
            sql.push(" AND status IN (");
            let mut list = sql.separated(", ");
            for status in &query.statuses {
                list.push_bind(status.as_str());
            }
            sql.push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (deliver_by, id) > (")
                .push_bind(time(cursor.deliver_by))
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY deliver_by, id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = sql
            .build()
            .fetch_all(&mut *self.0)
            .await
            .map_err(db("list overdue orders"))?;
        rows.into_iter()
            .map(|row| {
                let row = Row(row);
                Ok((row.uuid("id")?, row.time("deliver_by")?))
            })
            .collect()
    }

    async fn id_by_external(
        &mut self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        sqlx::query_scalar("SELECT id FROM orders WHERE channel = $1 AND external_id = $2")
            .bind(channel)
            .bind(external_id)
            .fetch_optional(&mut *self.0)
            .await
            .map_err(db("find order"))
    }
}

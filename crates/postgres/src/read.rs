//! The statements that read orders: one query per table for any number of orders (run by the
//! shared [`orderbridge_rows::read::load_orders`]), the lookup by marketplace id, and the keys
//! of a keyset page.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::{OrderQuery, OverdueQuery, StoreError};
use orderbridge_rows::read::{OrderReads, Part};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::db;
use crate::deadlines::OVERDUE_AT;
use crate::row::{Row, rows};
use crate::store::Tx;

/// Each part's query; `$1` is the array of order ids.
///
/// A child's lines are fetched per child row (`LATERAL ... OFFSET 0` keeps the planner from
/// turning it into a join): a plain join let the planner, without statistics on a young
/// database, hash the whole lines table on every load (2.4 ms with 11,000 lines and growing;
/// the benchmark's first round). Per child row it is an index probe.
fn query(part: Part) -> (&'static str, &'static str) {
    match part {
        Part::Headers => (
            "load orders",
            "SELECT id, channel, external_id, version, currency, placed_at, received_at, \
             updated_at, deliver_by, email, shipping_address, shipping_service, subtotal_price, \
             total_discounts, total_shipping, total_tax, total_price, \
             raw_payload::text AS raw_payload, flags, on_hold, marketplace_cancelled_at, \
             erased_at FROM orders WHERE id = ANY($1)",
        ),
        Part::Lines => (
            "load order lines",
            "SELECT order_id, sku, quantity, unit_price, total_discount, total_tax, \
             external_line_id, title FROM order_lines WHERE order_id = ANY($1) \
             ORDER BY order_id, line_no",
        ),
        Part::Fulfillments => (
            "load fulfillments",
            "SELECT f.order_id, f.id, f.tracking_number, f.carrier, f.tracking_url, \
             f.shipped_at, f.created_at, l.line_no, l.sku, l.quantity \
             FROM fulfillments f CROSS JOIN LATERAL (SELECT line_no, sku, quantity, position \
               FROM fulfillment_lines WHERE fulfillment_id = f.id OFFSET 0) l \
             WHERE f.order_id = ANY($1) ORDER BY f.order_id, f.position, l.position",
        ),
        Part::Cancellations => (
            "load cancellations",
            "SELECT c.order_id, c.id, c.reason, c.whole_order, c.note, c.created_at, c.origin, \
             l.line_no, l.sku, l.quantity \
             FROM cancellations c CROSS JOIN LATERAL (SELECT line_no, sku, quantity, position \
               FROM cancellation_lines WHERE cancellation_id = c.id OFFSET 0) l \
             WHERE c.order_id = ANY($1) ORDER BY c.order_id, c.position, l.position",
        ),
        Part::Refunds => (
            "load refunds",
            "SELECT r.order_id, r.id, r.reference, r.reason, r.note, r.created_at, \
             l.line_no, l.sku, l.quantity, l.amount \
             FROM refunds r CROSS JOIN LATERAL (SELECT line_no, sku, quantity, amount, position \
               FROM refund_lines WHERE refund_id = r.id OFFSET 0) l \
             WHERE r.order_id = ANY($1) ORDER BY r.order_id, r.position, l.position",
        ),
        Part::Events => (
            "load order events",
            "SELECT order_id, id, at, kind, subject, detail FROM order_events \
             WHERE order_id = ANY($1) ORDER BY order_id, seq",
        ),
    }
}

#[async_trait]
impl OrderReads for Tx {
    type Row = Row;

    async fn fetch(&mut self, part: Part, ids: &[Uuid]) -> Result<Vec<Row>, StoreError> {
        let (what, sql) = query(part);
        sqlx::query(sql)
            .bind(ids)
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
            QueryBuilder::<sqlx::Postgres>::new("SELECT id, updated_at FROM orders WHERE true");
        if !query.statuses.is_empty() {
            let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
            sql.push(" AND status = ANY(").push_bind(statuses).push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        // Literal, so that the partial index of orders on hold is used (migration 0012).
        match query.on_hold {
            Some(true) => {
                sql.push(" AND on_hold");
            }
            Some(false) => {
                sql.push(" AND NOT on_hold");
            }
            None => {}
        }
        if let Some(after) = query.updated_after {
            sql.push(" AND updated_at > ").push_bind(after);
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (updated_at, id) > (")
                .push_bind(cursor.updated_at)
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY updated_at, id LIMIT ")
            .push_bind(i64::from(limit));
        sql.build_query_as()
            .fetch_all(&mut *self.0)
            .await
            .map_err(db("list orders"))
    }

    async fn overdue_keys(
        &mut self,
        query: &OverdueQuery,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let mut sql =
            QueryBuilder::<sqlx::Postgres>::new("SELECT id, deliver_by FROM orders WHERE ");
        sql.push(OVERDUE_AT).push_bind(query.now);
        if !query.statuses.is_empty() {
            let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
            sql.push(" AND status = ANY(").push_bind(statuses).push(")");
        }
        if let Some(channel) = &query.channel {
            sql.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(cursor) = query.after {
            sql.push(" AND (deliver_by, id) > (")
                .push_bind(cursor.deliver_by)
                .push(", ")
                .push_bind(cursor.id.as_uuid())
                .push(")");
        }
        sql.push(" ORDER BY deliver_by, id LIMIT ")
            .push_bind(i64::from(limit));
        sql.build_query_as()
            .fetch_all(&mut *self.0)
            .await
            .map_err(db("list overdue orders"))
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

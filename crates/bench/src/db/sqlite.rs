//! The benchmark's own SQLite database: a fresh file in a directory of its own, migrated,
//! bulk-loaded like the PostgreSQL one (same orders, lines, shipments and history, in SQLite's
//! text forms of time and money) and deleted at the end. The bench reads and writes it through
//! the baseline store's pools: reads on the read pool, writes on the one writer.
//! Statements here are this module's constants; numbers are bound.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use orderbridge_sqlite::Sqlite;
use sqlx::Executor;

/// A database file of the bench's own, removed with its directory on drop.
#[derive(Debug)]
pub struct BenchFile {
    dir: PathBuf,
    path: PathBuf,
}

impl BenchFile {
    /// A new directory under `parent` holding the file `orderbridge.sqlite` (not created yet).
    pub fn create(parent: &Path) -> Result<Self> {
        let dir = parent.join(format!("sqlite-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("orderbridge.sqlite");
        Ok(Self { dir, path })
    }

    /// The file's path, for the service's `database.sqlite_path`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BenchFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            eprintln!(
                "orderbridge-bench: could not remove {}: {error}",
                self.dir.display()
            );
        }
    }
}

/// Opens (creating) and migrates the store on `file`.
pub async fn open(file: &BenchFile) -> Result<Arc<Sqlite>> {
    let path = file
        .path()
        .to_str()
        .context("the SQLite path is not UTF-8")?;
    let store = Sqlite::open(path)
        .await
        .context("opening the bench's SQLite database")?;
    store
        .migrate()
        .await
        .context("migrating the bench's SQLite database")?;
    Ok(Arc::new(store))
}

/// The numbers `?1..=?2` as `g`.
const NUMBERS: &str =
    "WITH RECURSIVE s(g) AS (SELECT ?1 UNION ALL SELECT g + 1 FROM s WHERE g < ?2)";

/// A UUIDv7-shaped id from the order's number `g` (as the PostgreSQL bulk load makes them):
/// 48-bit milliseconds `?3 + g * 2000`, then `tag` (an SQL expression of four hex digits),
/// the variant and `g`.
fn bulk_uuid(tag: &str) -> String {
    format!("unhex(printf('%012x', ?3 + g * 2000) || {tag} || '8000' || printf('%012x', g))")
}

/// A time `seconds` (an SQL expression) after the Unix epoch, in the store's text form.
fn at(seconds: &str) -> String {
    format!("(strftime('%Y-%m-%dT%H:%M:%S', {seconds}, 'unixepoch') || '.000000Z')")
}

/// The statements of one chunk: `?1..=?2` are the order numbers, `?3` the time base in whole
/// seconds' milliseconds. The same rows as the PostgreSQL bulk load (see there).
fn bulk_statements() -> [String; 7] {
    let order_id = bulk_uuid("'7000'");
    let received_id = bulk_uuid("'7001'");
    let fulfillment_id = bulk_uuid("'7002'");
    let outbox_id = bulk_uuid("'7003'");
    let event_id = bulk_uuid("printf('700%d', 3 + k)");
    let secs = "(?3 / 1000 + g * 2)";
    let placed = at(secs);
    let received = at(&format!("{secs} + 2"));
    let deliver_by = at(&format!("{secs} + 5 * 86400"));
    let shipped = at(&format!("{secs} + 86400"));
    let shipped_plus = |k: &str| at(&format!("{secs} + 86400 + {k}"));
    let is_shipped = "g % 5 <> 0";
    let lines = "s, (SELECT 1 AS n UNION ALL SELECT 2) AS l WHERE (n = 1 OR g % 3 = 0)";
    let sku = "CASE n WHEN 1 THEN 'TSH-RED-M' ELSE 'MUG-11OZ' END";
    let quantity = "CASE n WHEN 1 THEN 2 ELSE 1 END";
    let orders = orders_insert(&order_id, &placed, &received, &shipped, &deliver_by);
    let order_lines = format!(
        "{NUMBERS} INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, \
         total_discount, total_tax, shipped) \
         SELECT {order_id}, n, {sku}, {quantity}, '12.49', '0', '1.00', \
         CASE WHEN {is_shipped} THEN {quantity} ELSE 0 END FROM {lines}"
    );
    let received_events = format!(
        "{NUMBERS} INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT {received_id}, {order_id}, {received}, 'received', NULL, \
         'received from adm (' || CASE WHEN g % 3 = 0 THEN 3 ELSE 2 END || ' units)' FROM s"
    );
    let fulfillments = format!(
        "{NUMBERS} INSERT INTO fulfillments (id, order_id, position, tracking_number, carrier, \
         tracking_url, shipped_at, created_at) \
         SELECT {fulfillment_id}, {order_id}, 0, '1ZBULK' || g, 'UPS', \
         'https://track.example.com/1ZBULK' || g, {shipped}, {shipped} FROM s WHERE {is_shipped}"
    );
    let fulfillment_lines = format!(
        "{NUMBERS} INSERT INTO fulfillment_lines (fulfillment_id, position, line_no, sku, \
         quantity) SELECT {fulfillment_id}, n - 1, n, {sku}, {quantity} FROM {lines} \
         AND {is_shipped}"
    );
    let outbox = format!(
        "{NUMBERS} INSERT INTO outbox (id, order_id, channel, kind, subject, state, attempts, \
         created_at, next_attempt_at, delivered_at) \
         SELECT {outbox_id}, {order_id}, 'adm', 'fulfillment', {fulfillment_id}, 'delivered', 1, \
         {shipped}, {shipped}, {} FROM s WHERE {is_shipped}",
        shipped_plus("1")
    );
    let shipped_events = format!(
        "{NUMBERS} INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT {event_id}, {order_id}, {}, CASE k WHEN 1 THEN 'fulfilled' ELSE 'delivered' END, \
         {fulfillment_id}, CASE k WHEN 1 THEN 'shipped with tracking number 1ZBULK' || g \
         ELSE 'fulfillment delivered to adm' END \
         FROM s, (SELECT 1 AS k UNION ALL SELECT 2) AS e WHERE {is_shipped}",
        shipped_plus("k")
    );
    [
        orders,
        order_lines,
        received_events,
        fulfillments,
        fulfillment_lines,
        outbox,
        shipped_events,
    ]
}

/// The `orders` rows of [`bulk_statements`]: the arguments are its SQL expressions of `g`.
fn orders_insert(
    order_id: &str,
    placed: &str,
    received: &str,
    shipped: &str,
    deliver_by: &str,
) -> String {
    let is_shipped = "g % 5 <> 0";
    let zip = "printf('%05d', g % 100000)";
    format!(
        "{NUMBERS} INSERT INTO orders (id, channel, external_id, version, status, currency, \
         placed_at, received_at, updated_at, deliver_by, email, shipping_address, \
         shipping_service, subtotal_price, total_discounts, total_shipping, total_tax, \
         total_price, raw_payload) \
         SELECT {order_id}, 'adm', 'bulk-' || g, CASE WHEN {is_shipped} THEN 2 ELSE 1 END, \
         CASE WHEN {is_shipped} THEN 'fulfilled' ELSE 'open' END, 'USD', {placed}, {received}, \
         CASE WHEN {is_shipped} THEN {shipped} ELSE {received} END, {deliver_by}, \
         'customer' || g || '@example.com', \
         json_object('first_name', 'Jane', 'last_name', 'Doe', 'address1', \
           (g % 9999 + 1) || ' Main Street', 'city', 'Anytown', 'province', 'CA', \
           'zip', {zip}, 'country_code', 'US', 'phone', '(555) 555-0100'), \
         'Standard Ground', '24.98', '0', '5.99', '2.00', '32.97', \
         json_object('created_at', '2025-01-01T00:00:00Z', 'email', \
           'customer' || g || '@example.com', 'id', 'bulk-' || g, 'line_items', \
           json_array(json_object('price', '12.49', 'quantity', 2, 'sku', 'TSH-RED-M', \
             'total_discount', '0.00', 'total_tax', '2.00')), \
           'shipping_address', json_object('address1', (g % 9999 + 1) || ' Main Street', \
             'city', 'Anytown', 'country_code', 'US', 'first_name', 'Jane', 'last_name', 'Doe', \
             'phone', '(555) 555-0100', 'province_code', 'CA', 'zip', {zip}), \
           'shipping_service', 'Standard Ground', 'subtotal_price', '24.98', \
           'total_discounts', '0.00', 'total_price', '32.97', 'total_shipping_price', '5.99', \
           'total_tax', '2.00') \
         FROM s"
    )
}

/// Stores `count` orders as the PostgreSQL bulk load does, in chunks of 50,000 (one
/// transaction each, on the writer), then `ANALYZE` and a checkpoint. Returns the orders
/// stored in all.
pub async fn bulk_load(store: &Sqlite, count: u64, now_ms: i64) -> Result<i64> {
    const CHUNK: u64 = 50_000;
    let span_ms = i64::try_from(count.saturating_mul(2_000)).unwrap_or(i64::MAX);
    // Whole seconds, so that every time is one `strftime` of seconds.
    let base_ms = (now_ms.saturating_sub(span_ms).saturating_sub(86_400_000) / 1000) * 1000;
    let statements = bulk_statements();
    let mut first = 0_u64;
    while first < count {
        let last = (first + CHUNK).min(count) - 1;
        let mut tx = store.write_pool().begin().await?;
        for sql in &statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(i64::try_from(first)?)
                .bind(i64::try_from(last)?)
                .bind(base_ms)
                .execute(&mut *tx)
                .await
                .context("bulk-loading orders into SQLite")?;
        }
        tx.commit().await?;
        first = last + 1;
    }
    let mut writer = store.write_pool().acquire().await?;
    writer
        .execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
        .await
        .context("ANALYZE after the bulk load")?;
    order_count(store).await
}

/// Orders stored.
pub async fn order_count(store: &Sqlite) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(store.pool())
        .await?)
}

/// Deliveries not yet delivered.
pub async fn undelivered(store: &Sqlite) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state <> 'delivered'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// Deliveries waiting to be sent.
pub async fn pending(store: &Sqlite) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'pending'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// orderbridge's ids of the orders of `channel` with these external ids (unordered pairs).
pub async fn order_ids(
    store: &Sqlite,
    channel: &str,
    external_ids: &[String],
) -> Result<Vec<(String, uuid::Uuid)>> {
    // SQLite has no arrays: the ids go in as one JSON array.
    let ids = serde_json::to_string(external_ids)?;
    let rows: Vec<(String, uuid::Uuid)> = sqlx::query_as(
        "SELECT external_id, id FROM orders \
         WHERE channel = ?1 AND external_id IN (SELECT value FROM json_each(?2))",
    )
    .bind(channel)
    .bind(ids)
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}

/// Puts `count` delivered fulfillments back in the queue, due now (see the PostgreSQL one).
pub async fn requeue_delivered(store: &Sqlite, count: usize) -> Result<u64> {
    // Now, in the store's text form of time.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let done = sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, \
         delivered_at = NULL, remote_ref = NULL, last_error = NULL, lease_token = NULL, \
         lease_until = NULL \
         WHERE seq IN (SELECT seq FROM outbox WHERE state = 'delivered' AND kind = 'fulfillment' \
                       ORDER BY seq LIMIT ?1)",
    )
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .bind(now)
    .execute(store.write_pool())
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use orderbridge_domain::order::OrderStatus;
    use orderbridge_domain::ports::store::OrderStore;
    use orderbridge_domain::values::{ChannelId, ExternalOrderId};

    use super::{BenchFile, bulk_load, open, order_count, pending, undelivered};

    /// The bulk rows are read back by the store as whole orders: the text forms of time, money
    /// and ids are the store's own, four in five orders are shipped and delivered.
    #[tokio::test]
    async fn bulk_loaded_orders_read_back_through_the_store() -> anyhow::Result<()> {
        let file = BenchFile::create(&std::env::temp_dir())?;
        let store = open(&file).await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        assert_eq!(bulk_load(&store, 10, now_ms).await?, 10);
        assert_eq!(order_count(&store).await?, 10);
        assert_eq!(pending(&store).await?, 0);
        assert_eq!(undelivered(&store).await?, 0);
        let adm = ChannelId::parse("adm")?;
        let open_order = store
            .find_by_external(&adm, &ExternalOrderId::parse("bulk-5")?)
            .await?
            .ok_or_else(|| anyhow::anyhow!("bulk-5 is not stored"))?;
        assert_eq!(open_order.status(), OrderStatus::Open);
        let shipped = store
            .find_by_external(&adm, &ExternalOrderId::parse("bulk-3")?)
            .await?
            .ok_or_else(|| anyhow::anyhow!("bulk-3 is not stored"))?;
        assert_eq!(shipped.status(), OrderStatus::Fulfilled);
        assert_eq!(shipped.lines().len(), 2, "every third order has two lines");
        assert_eq!(shipped.fulfillments().len(), 1);
        assert!(shipped.placed_at() < shipped.received_at());
        assert!(shipped.received_at().timestamp_millis() < now_ms);
        assert_eq!(shipped.events().len(), 3, "received, fulfilled, delivered");
        Ok(())
    }
}

//! The benchmark's own PostgreSQL database: created fresh on `DATABASE_URL`'s server, migrated,
//! bulk-loaded with stored orders for the "many orders" phase, and dropped at the end.
//! Dynamic SQL here (`AssertSqlSafe`) is assembled from this module's constants and a database
//! name made from a UUID, never from input.

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};

/// The server's settings that bear on the figures.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// `SELECT version()`.
    pub version: String,
    /// `SHOW server_version`.
    pub server_version: String,
    /// `SHOW fsync`.
    pub fsync: String,
    /// `SHOW synchronous_commit`.
    pub synchronous_commit: String,
    /// `SHOW shared_buffers`.
    pub shared_buffers: String,
    /// `SHOW max_connections`.
    pub max_connections: String,
    /// `SHOW autovacuum`: off means tables never get statistics unless analysed by hand.
    pub autovacuum: String,
}

/// A database of the bench's own on the server of `admin_url`.
#[derive(Debug)]
pub struct BenchDb {
    name: String,
    url: String,
    admin_url: String,
    dropped: bool,
}

async fn execute(admin_url: &str, sql: String) -> Result<()> {
    let mut connection = PgConnection::connect(admin_url)
        .await
        .context("connecting to DATABASE_URL")?;
    connection.execute(sqlx::AssertSqlSafe(sql)).await?;
    connection.close().await?;
    Ok(())
}

async fn show(connection: &mut PgConnection, setting: &str) -> Result<String> {
    let sql = format!("SHOW {setting}");
    let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *connection)
        .await
        .with_context(|| format!("SHOW {setting}"))?;
    Ok(value)
}

/// What the server of `admin_url` runs with. Fails when fsync is off: figures measured without
/// durable commits say nothing about the service.
pub async fn server_info(admin_url: &str) -> Result<ServerInfo> {
    let mut connection = PgConnection::connect(admin_url)
        .await
        .context("connecting to DATABASE_URL")?;
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut connection)
        .await?;
    let info = ServerInfo {
        version,
        server_version: show(&mut connection, "server_version").await?,
        fsync: show(&mut connection, "fsync").await?,
        synchronous_commit: show(&mut connection, "synchronous_commit").await?,
        shared_buffers: show(&mut connection, "shared_buffers").await?,
        max_connections: show(&mut connection, "max_connections").await?,
        autovacuum: show(&mut connection, "autovacuum").await?,
    };
    connection.close().await?;
    if info.fsync != "on" {
        bail!(
            "the PostgreSQL of DATABASE_URL runs with fsync={}: benchmarks need durable commits \
             (xtask's throwaway test cluster turns fsync off; point DATABASE_URL at a server \
             with fsync=on, or let `cargo xtask bench` start its own)",
            info.fsync
        );
    }
    Ok(info)
}

impl BenchDb {
    /// Creates `orderbridge_bench_<uuid>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> Result<Self> {
        let name = format!("orderbridge_bench_{}", uuid::Uuid::now_v7().simple());
        execute(admin_url, format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| {
                format!("creating database {name} (may DATABASE_URL's user create databases?)")
            })?;
        let mut url = reqwest::Url::parse(admin_url).context("DATABASE_URL is not a URL")?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            name,
            url: url.to_string(),
            admin_url: admin_url.to_owned(),
            dropped: false,
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL, for the service's `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool of `max_connections` on it.
    pub async fn pool(&self, max_connections: u32) -> Result<PgPool> {
        PgPoolOptions::new()
            .max_connections(max_connections)
            .connect(&self.url)
            .await
            .with_context(|| format!("connecting to database {}", self.name))
    }

    /// Drops it (with its connections).
    pub async fn drop_now(mut self) -> Result<()> {
        self.dropped = true;
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        execute(&self.admin_url, sql)
            .await
            .with_context(|| format!("dropping database {}", self.name))
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // A failed run: drop it on a thread of its own, outside the runtime.
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(execute(&admin_url, sql)).ok()
        })
        .join()
        .ok()
        .flatten();
        if dropped.is_none() {
            eprintln!("orderbridge-bench: could not drop database {name}; drop it by hand");
        }
    }
}

/// The bulk orders' identity: a UUIDv7-shaped id (48-bit milliseconds, version 7, variant 8)
/// from the order's number, so that ids sort by time as the service's own do. `$3` is the
/// milliseconds of order 0; orders are 2 s apart. `{tag}` tells orders from their events.
fn bulk_uuid(tag: &str) -> String {
    format!(
        "(lpad(to_hex($3::bigint + g * 2000), 12, '0') || '{tag}' || '8000' || \
         lpad(to_hex(g), 12, '0'))::uuid"
    )
}

/// One chunk of bulk orders: `$1..=$2` are the order numbers, `$3` the time base in ms.
/// Every order is received 2 s after it was placed, with one line (two for every third
/// order), a raw payload of ADM's size and its `received` history entry. Four in five are
/// shipped, as most orders of a long-lived store are: one fulfillment of every unit a day
/// later, its lines, its outbox row delivered to ADM, and `fulfilled` and `delivered` history
/// entries; the fifth stays open.
fn bulk_statements() -> [String; 7] {
    let order_id = bulk_uuid("7000");
    let received_id = bulk_uuid("7001");
    let fulfillment_id = bulk_uuid("7002");
    let outbox_id = bulk_uuid("7003");
    let placed = "to_timestamp(($3::bigint + g * 2000) / 1000.0)";
    let shipped = format!("({placed} + interval '1 day')");
    let is_shipped = "g % 5 <> 0";
    let orders = orders_insert(&order_id, placed, &shipped, is_shipped);
    // Line n of order g: its SKU and quantity.
    let sku = "CASE n WHEN 1 THEN 'TSH-RED-M' ELSE 'MUG-11OZ' END";
    let quantity = "CASE n WHEN 1 THEN 2 ELSE 1 END";
    let lines_of_g = "generate_series($1::bigint, $2::bigint) AS g, \
         generate_series(1, CASE WHEN g % 3 = 0 THEN 2 ELSE 1 END) AS n";
    let lines = format!(
        "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, total_discount, \
         total_tax, shipped) \
         SELECT {order_id}, n, {sku}, {quantity}, 12.49, 0, 1.00, \
         CASE WHEN {is_shipped} THEN {quantity} ELSE 0 END \
         FROM {lines_of_g}"
    );
    let received = format!(
        "INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT {received_id}, {order_id}, {placed} + interval '2 seconds', 'received', NULL, \
         'received from adm (' || CASE WHEN g % 3 = 0 THEN 3 ELSE 2 END || ' units)' \
         FROM generate_series($1::bigint, $2::bigint) AS g"
    );
    let fulfillments = format!(
        "INSERT INTO fulfillments (id, order_id, position, tracking_number, carrier, \
         tracking_url, shipped_at, created_at) \
         SELECT {fulfillment_id}, {order_id}, 0, '1ZBULK' || g, 'UPS', \
         'https://track.example.com/1ZBULK' || g, {shipped}, {shipped} \
         FROM generate_series($1::bigint, $2::bigint) AS g WHERE {is_shipped}"
    );
    let fulfillment_lines = format!(
        "INSERT INTO fulfillment_lines (fulfillment_id, position, line_no, sku, quantity) \
         SELECT {fulfillment_id}, n - 1, n, {sku}, {quantity} \
         FROM {lines_of_g} WHERE {is_shipped}"
    );
    let outbox = format!(
        "INSERT INTO outbox (id, order_id, channel, kind, subject, state, attempts, created_at, \
         next_attempt_at, delivered_at) \
         SELECT {outbox_id}, {order_id}, 'adm', 'fulfillment', {fulfillment_id}, 'delivered', 1, \
         {shipped}, {shipped}, {shipped} + interval '1 second' \
         FROM generate_series($1::bigint, $2::bigint) AS g WHERE {is_shipped}"
    );
    let event_id = bulk_uuid("700' || (3 + k) || '");
    let shipped_events = format!(
        "INSERT INTO order_events (id, order_id, at, kind, subject, detail) \
         SELECT {event_id}, {order_id}, {shipped} + k * interval '1 second', \
         CASE k WHEN 1 THEN 'fulfilled' ELSE 'delivered' END, {fulfillment_id}, \
         CASE k WHEN 1 THEN 'shipped with tracking number 1ZBULK' || g \
         ELSE 'fulfillment delivered to adm' END \
         FROM generate_series($1::bigint, $2::bigint) AS g, generate_series(1, 2) AS k \
         WHERE {is_shipped}"
    );
    [
        orders,
        lines,
        received,
        fulfillments,
        fulfillment_lines,
        outbox,
        shipped_events,
    ]
}

/// The `orders` rows of [`bulk_statements`]: `order_id`, `placed`, `shipped` and `is_shipped`
/// are its SQL expressions of `g`.
fn orders_insert(order_id: &str, placed: &str, shipped: &str, is_shipped: &str) -> String {
    format!(
        "INSERT INTO orders (id, channel, external_id, version, status, currency, placed_at, \
         received_at, updated_at, deliver_by, email, shipping_address, shipping_service, \
         subtotal_price, total_discounts, total_shipping, total_tax, total_price, raw_payload) \
         SELECT {order_id}, 'adm', 'bulk-' || g, \
         CASE WHEN {is_shipped} THEN 2 ELSE 1 END, \
         CASE WHEN {is_shipped} THEN 'fulfilled' ELSE 'open' END, 'USD', {placed}, \
         {placed} + interval '2 seconds', \
         CASE WHEN {is_shipped} THEN {shipped} ELSE {placed} + interval '2 seconds' END, \
         {placed} + interval '5 days', 'customer' || g || '@example.com', \
         jsonb_build_object('first_name', 'Jane', 'last_name', 'Doe', 'address1', \
           (g % 9999 + 1) || ' Main Street', 'city', 'Anytown', 'province', 'CA', \
           'zip', lpad((g % 100000)::text, 5, '0'), 'country_code', 'US', \
           'phone', '(555) 555-0100'), \
         'Standard Ground', 24.98, 0, 5.99, 2.00, 32.97, \
         format('{{\"created_at\":\"2025-01-01T00:00:00Z\",\"email\":\"customer%s@example.com\",\
\"id\":\"bulk-%s\",\"line_items\":[{{\"price\":\"12.49\",\"quantity\":2,\"sku\":\"TSH-RED-M\",\
\"total_discount\":\"0.00\",\"total_tax\":\"2.00\"}}],\"shipping_address\":{{\"address1\":\
\"%s Main Street\",\"city\":\"Anytown\",\"country_code\":\"US\",\"first_name\":\"Jane\",\
\"last_name\":\"Doe\",\"phone\":\"(555) 555-0100\",\"province_code\":\"CA\",\"zip\":\"%s\"}},\
\"shipping_service\":\"Standard Ground\",\"subtotal_price\":\"24.98\",\"total_discounts\":\
\"0.00\",\"total_price\":\"32.97\",\"total_shipping_price\":\"5.99\",\"total_tax\":\"2.00\"}}', \
           g, g, g % 9999 + 1, lpad((g % 100000)::text, 5, '0'))::json \
         FROM generate_series($1::bigint, $2::bigint) AS g"
    )
}

/// Stores `count` orders with their lines, shipments and history, in chunks of 50,000 (one
/// transaction each), placed over the days before `now_ms`; then `VACUUM ANALYZE`, as
/// autovacuum would have done on a long-lived database. Returns the orders stored in all.
pub async fn bulk_load(pool: &PgPool, count: u64, now_ms: i64) -> Result<i64> {
    const CHUNK: u64 = 50_000;
    let span_ms = i64::try_from(count.saturating_mul(2_000)).unwrap_or(i64::MAX);
    let base_ms = now_ms.saturating_sub(span_ms).saturating_sub(86_400_000);
    let statements = bulk_statements();
    let mut first = 0_u64;
    while first < count {
        let last = (first + CHUNK).min(count) - 1;
        let mut tx = pool.begin().await?;
        for sql in &statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(i64::try_from(first)?)
                .bind(i64::try_from(last)?)
                .bind(base_ms)
                .execute(&mut *tx)
                .await
                .context("bulk-loading orders")?;
        }
        tx.commit().await?;
        first = last + 1;
    }
    let mut connection = pool.acquire().await?;
    connection
        .execute(
            "VACUUM (ANALYZE) orders, order_lines, order_events, fulfillments, \
             fulfillment_lines, outbox",
        )
        .await
        .context("VACUUM ANALYZE after the bulk load")?;
    order_count(pool).await
}

/// Orders stored.
pub async fn order_count(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(pool)
        .await?)
}

/// Deliveries not yet delivered.
pub async fn undelivered(pool: &PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state <> 'delivered'")
            .fetch_one(pool)
            .await?,
    )
}

/// Deliveries waiting to be sent.
pub async fn pending(pool: &PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'pending'")
            .fetch_one(pool)
            .await?,
    )
}

/// orderbridge's ids of the orders of `channel` with these external ids (unordered pairs).
pub async fn order_ids(
    pool: &PgPool,
    channel: &str,
    external_ids: &[String],
) -> Result<Vec<(String, uuid::Uuid)>> {
    Ok(sqlx::query_as(
        "SELECT external_id, id FROM orders WHERE channel = $1 AND external_id = ANY($2)",
    )
    .bind(channel)
    .bind(external_ids)
    .fetch_all(pool)
    .await?)
}

/// Puts `count` delivered fulfillments back in the queue, due now, as if never sent (the
/// slow-marketplace phase sends them again to a reset sandbox).
pub async fn requeue_delivered(pool: &PgPool, count: usize) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), \
         delivered_at = NULL, remote_ref = NULL, last_error = NULL, lease_token = NULL, \
         lease_until = NULL \
         WHERE seq IN (SELECT seq FROM outbox WHERE state = 'delivered' AND kind = 'fulfillment' \
                       ORDER BY seq LIMIT $1)",
    )
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

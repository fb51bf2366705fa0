//! Concurrency on PostgreSQL: optimistic versioning keeps design rule 2 under contention,
//! `FOR UPDATE SKIP LOCKED` claims give each outbox row to exactly one dispatcher, and purges
//! running at once erase each order once.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use orderbridge_domain::ports::store::{ClaimRequest, DeliveryQueue, Store};
use orderbridge_domain::values::DeliveryId;
use orderbridge_postgres::Postgres;
use orderbridge_store_contract::concurrency;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

async fn store(options: PgPoolOptions, connect: PgConnectOptions) -> Arc<Postgres> {
    let pool = options
        .max_connections(16)
        .connect_with(connect)
        .await
        .unwrap();
    Arc::new(Postgres::from_pool(pool))
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_32_one_unit_fulfillments_on_a_10_unit_order_ship_exactly_10(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    concurrency::thirty_two_one_unit_fulfillments_on_a_ten_unit_order_ship_exactly_ten(store).await;
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_two_dispatchers_claim_1000_due_rows_each_exactly_once(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    concurrency::queue_due_rows(store.as_ref(), 1_000).await;
    let dispatcher = |store: Arc<Postgres>| async move {
        let mut claimed = Vec::new();
        loop {
            let now = Utc::now();
            let request = ClaimRequest {
                now,
                lease: std::time::Duration::from_secs(3_600),
                token: Uuid::now_v7(),
                limit: 25,
                skip_channels: Vec::new(),
                probe: None,
            };
            let batch = store.claim_due(&request).await.unwrap();
            if batch.is_empty() {
                return claimed;
            }
            claimed.extend(batch.into_iter().map(|c| c.delivery.id));
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(dispatcher(store.clone())),
        tokio::spawn(dispatcher(store.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let all: Vec<DeliveryId> = a.iter().chain(b.iter()).copied().collect();
    let unique: HashSet<DeliveryId> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        1_000,
        "every row claimed once ({} and {})",
        a.len(),
        b.len()
    );
    assert_eq!(unique.len(), 1_000, "no row claimed twice");
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_four_purges_at_once_erase_each_order_once(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    concurrency::four_purges_at_once_erase_each_order_once(store).await;
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_eight_overdue_checks_at_once_alert_each_order_once(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    let stores: Vec<Arc<dyn Store>> = vec![store];
    concurrency::concurrent_checks_alert_each_overdue_order_once(stores).await;
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_sixteen_records_of_one_webhook_id_at_once_record_it_once(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    concurrency::sixteen_records_of_one_webhook_id_at_once_record_it_once(store).await;
}

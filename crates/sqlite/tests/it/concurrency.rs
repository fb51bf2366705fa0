//! Concurrency on SQLite: `BEGIN IMMEDIATE` serialises writers, so optimistic versioning keeps
//! design rule 2 under contention, concurrent claims give each outbox row to exactly one
//! dispatcher, and purges running at once erase each order once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use orderbridge_domain::ports::store::{ClaimRequest, DeliveryQueue, Store};
use orderbridge_domain::values::DeliveryId;
use orderbridge_sqlite::Sqlite;
use orderbridge_store_contract::concurrency;
use uuid::Uuid;

/// A migrated store in a temporary file, with a pool of several connections.
async fn store() -> Arc<Sqlite> {
    let store = Sqlite::temporary().await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

/// Claims batches of 7 until nothing is due; returns what it claimed. It first waits until
/// `started` counts both dispatchers, so that their claims overlap.
async fn dispatch(store: Arc<Sqlite>, started: Arc<AtomicUsize>) -> Vec<DeliveryId> {
    started.fetch_add(1, Ordering::SeqCst);
    while started.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    let mut claimed = Vec::new();
    loop {
        let now = Utc::now();
        let request = ClaimRequest {
            now,
            lease: std::time::Duration::from_secs(3_600),
            token: Uuid::now_v7(),
            limit: 7,
            skip_channels: Vec::new(),
            probe: None,
        };
        let batch = store.claim_due(&request).await.unwrap();
        if batch.is_empty() {
            return claimed;
        }
        claimed.extend(batch.into_iter().map(|c| c.delivery.id));
        tokio::task::yield_now().await;
    }
}

/// Runs two dispatchers at once, one on each store, and returns what each claimed.
async fn two_dispatchers(
    first: Arc<Sqlite>,
    second: Arc<Sqlite>,
) -> (Vec<DeliveryId>, Vec<DeliveryId>) {
    let started = Arc::new(AtomicUsize::new(0));
    let (a, b) = tokio::join!(
        tokio::spawn(dispatch(first, started.clone())),
        tokio::spawn(dispatch(second, started))
    );
    (a.unwrap(), b.unwrap())
}

fn assert_each_claimed_once(a: &[DeliveryId], b: &[DeliveryId], count: usize) {
    let all: Vec<DeliveryId> = a.iter().chain(b.iter()).copied().collect();
    let unique: HashSet<DeliveryId> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        count,
        "every row claimed once ({} and {})",
        a.len(),
        b.len()
    );
    assert_eq!(unique.len(), count, "no row claimed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_two_dispatchers_on_one_store_claim_200_due_rows_each_exactly_once() {
    let store = store().await;
    concurrency::queue_due_rows(store.as_ref(), 200).await;
    let (a, b) = two_dispatchers(store.clone(), store).await;
    assert_each_claimed_once(&a, &b, 200);
    // Writers queue in order for the one writer connection, so the claims interleave.
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both dispatchers claimed ({} and {})",
        a.len(),
        b.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_two_stores_on_one_file_claim_200_due_rows_each_exactly_once() {
    // Two stores stand for two processes: their writers meet at SQLite's lock.
    let store = store().await;
    let path = store.temporary_path().unwrap().to_str().unwrap().to_owned();
    let other = Arc::new(Sqlite::open(&path).await.unwrap());
    concurrency::queue_due_rows(store.as_ref(), 200).await;
    let (a, b) = two_dispatchers(store, other).await;
    assert_each_claimed_once(&a, &b, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_32_one_unit_fulfillments_on_a_10_unit_order_ship_exactly_10() {
    concurrency::thirty_two_one_unit_fulfillments_on_a_ten_unit_order_ship_exactly_ten(
        store().await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_four_purges_at_once_erase_each_order_once() {
    concurrency::four_purges_at_once_erase_each_order_once(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_eight_overdue_checks_on_two_stores_on_one_file_alert_each_order_once() {
    // Two stores stand for two instances sharing the file.
    let store = store().await;
    let path = store.temporary_path().unwrap().to_str().unwrap().to_owned();
    let other = Arc::new(Sqlite::open(&path).await.unwrap());
    let stores: Vec<Arc<dyn Store>> = vec![store, other];
    concurrency::concurrent_checks_alert_each_overdue_order_once(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_sixteen_records_of_one_webhook_id_at_once_record_it_once() {
    concurrency::sixteen_records_of_one_webhook_id_at_once_record_it_once(store().await).await;
}

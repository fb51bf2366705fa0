//! The in-memory store passes the same contract suite as the real stores, which keeps it honest.

use std::sync::Arc;

use orderbridge_domain::ports::store::Store;
use orderbridge_domain::testing::MemoryStore;
use orderbridge_store_contract::concurrency;

orderbridge_store_contract::store_contract!(#[tokio::test] fn() => MemoryStore::new());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_eight_overdue_checks_at_once_alert_each_order_once() {
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(MemoryStore::new())];
    concurrency::concurrent_checks_alert_each_overdue_order_once(stores).await;
}

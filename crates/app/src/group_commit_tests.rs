//! The group commit: concurrent inserts share transactions, every caller is answered only after
//! its batch is stored, and duplicates are told apart as before.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    InsertError, NewOrderRows, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use orderbridge_domain::testing::{MemoryStore, new_order};
use orderbridge_domain::values::{ChannelId, EventId, ExternalOrderId, OrderId};
use tokio::sync::Semaphore;

use super::{GroupCommit, IN_FLIGHT};

/// The memory store, whose batches wait for a permit of `gate` and are recorded.
#[derive(Debug)]
struct GatedBatches {
    store: MemoryStore,
    gate: Arc<Semaphore>,
    sizes: Mutex<Vec<usize>>,
}

#[async_trait]
impl OrderStore for GatedBatches {
    async fn insert(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, InsertError> {
        self.store.insert(order, outbox).await
    }

    async fn insert_many(&self, batch: &[NewOrderRows]) -> Vec<Result<Version, InsertError>> {
        let permit = self.gate.acquire().await;
        self.sizes.lock().unwrap().push(batch.len());
        let outcomes = self.store.insert_many(batch).await;
        drop(permit);
        outcomes
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        self.store.get(id).await
    }

    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        self.store.find_by_external(channel, external_id).await
    }

    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.store.list(query).await
    }

    async fn save(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
        alerts: &[Alert],
    ) -> Result<Version, SaveError> {
        self.store.save(order, outbox, alerts).await
    }
}

fn order(external: &str) -> Order {
    let new = new_order("adm", external, &[("SKU-1", 1, "5.00")]).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::now_v7()),
        EventId::from_uuid(uuid::Uuid::now_v7()),
        chrono::Utc::now(),
    )
    .unwrap()
}

fn gated() -> (Arc<GatedBatches>, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let store = Arc::new(GatedBatches {
        store: MemoryStore::new(),
        gate: gate.clone(),
        sizes: Mutex::new(Vec::new()),
    });
    (store, gate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_that_arrive_together_share_batches_and_are_answered_after_them() {
    let (store, gate) = gated();
    let commit = GroupCommit::start(store.clone());
    let orders: Vec<Order> = (0..40).map(|n| order(&format!("G-{n}"))).collect();
    let mut calls = tokio::task::JoinSet::new();
    for order in orders.clone() {
        let commit = commit.clone();
        calls.spawn(async move { commit.insert(&order, &[]).await });
    }
    // Every commit slot is held at the gate: nobody is answered, nothing is stored.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        calls.try_join_next().is_none(),
        "answered before its commit"
    );
    assert!(store.store.get(orders[0].id()).await.unwrap().is_none());
    gate.add_permits(1_000);
    while let Some(outcome) = calls.join_next().await {
        assert_eq!(outcome.unwrap().unwrap(), Version::new(1));
    }
    for order in &orders {
        assert!(store.store.get(order.id()).await.unwrap().is_some());
    }
    let sizes = store.sizes.lock().unwrap().clone();
    assert_eq!(sizes.iter().sum::<usize>(), 40);
    // The first batches took the slots one order each; the rest waited and went together.
    assert!(
        sizes.len() <= IN_FLIGHT + 2,
        "40 orders in {} batches: {sizes:?}",
        sizes.len()
    );
}

#[tokio::test]
async fn a_duplicate_in_the_same_batch_names_the_first_order() {
    let (store, gate) = gated();
    gate.add_permits(1_000);
    let commit = GroupCommit::start(store.clone());
    let first = order("D-1");
    let again = order("D-1");
    let (a, b) = tokio::join!(commit.insert(&first, &[]), commit.insert(&again, &[]));
    assert_eq!(a.unwrap(), Version::new(1));
    match b {
        Err(InsertError::AlreadyExists { existing }) => assert_eq!(existing, first.id()),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}

#[tokio::test]
async fn an_idle_service_commits_each_order_on_its_own() {
    let (store, gate) = gated();
    gate.add_permits(1_000);
    let commit = GroupCommit::start(store.clone());
    for n in 0..3 {
        commit.insert(&order(&format!("I-{n}")), &[]).await.unwrap();
    }
    assert_eq!(*store.sizes.lock().unwrap(), [1, 1, 1]);
}

//! Concurrency on SQLite: `BEGIN IMMEDIATE` serialises writers, so optimistic versioning keeps
//! design rule 2 under contention and concurrent claims give each outbox row to exactly one
//! dispatcher.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::{FulfilError, FulfillmentRequest, Order};
use orderbridge_domain::outbox::{DeliveryKind, NewDelivery};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::store::{ClaimRequest, DeliveryLog, DeliveryQueue, OrderStore};
use orderbridge_domain::services::{Ingested, OrderService, OrderUpdateError, ServiceConfig};
use orderbridge_domain::testing::{new_order, test_channels};
use orderbridge_domain::values::{DeliveryId, EventId, OrderId, Quantity, Sku, TrackingNumber};
use orderbridge_sqlite::Sqlite;
use uuid::Uuid;

/// A migrated store in a temporary file, with a pool of several connections.
async fn store() -> Arc<Sqlite> {
    let store = Sqlite::temporary().await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

/// Queues one due delivery on each of `count` new orders.
async fn queue_due_rows(store: &Sqlite, count: usize) {
    let start = Utc::now() - TimeDelta::minutes(1);
    for n in 0..count {
        let new = new_order("adm", &format!("D-{n}"), &[("RED", 1, "1.00")]).unwrap();
        let order = Order::create(
            new,
            OrderId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            start,
        )
        .unwrap();
        let row = NewDelivery {
            id: DeliveryId::from_uuid(Uuid::now_v7()),
            order_id: order.id(),
            channel: order.channel().clone(),
            kind: DeliveryKind::Confirm,
            created_at: start,
        };
        store.insert(&order, &[row]).await.unwrap();
    }
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
            lease_until: now + TimeDelta::hours(1),
            token: Uuid::now_v7(),
            limit: 7,
            skip_channels: Vec::new(),
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
    queue_due_rows(&store, 200).await;
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
    queue_due_rows(&store, 200).await;
    let (a, b) = two_dispatchers(store, other).await;
    assert_each_claimed_once(&a, &b, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_32_one_unit_fulfillments_on_a_10_unit_order_ship_exactly_10() {
    let store = store().await;
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        ServiceConfig::default(),
    );
    let new = new_order("adm", "C-10", &[("RED", 10, "1.00")]).unwrap();
    let Ingested::Created(order) = service.ingest(new).await.unwrap() else {
        panic!("fresh database holds no order")
    };
    let tasks: Vec<_> = (0..32)
        .map(|n| {
            let service = service.clone();
            let id = order.id();
            tokio::spawn(async move {
                let request = FulfillmentRequest {
                    tracking_number: TrackingNumber::parse(&format!("1Z{n:04}")).unwrap(),
                    carrier: None,
                    tracking_url: None,
                    lines: vec![(Sku::parse("RED").unwrap(), Quantity::new(1).unwrap())],
                    shipped_at: None,
                };
                service.record_fulfillment(id, &request).await
            })
        })
        .collect();
    let (mut shipped, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => shipped += 1,
            Err(OrderUpdateError::Rejected(FulfilError::Allocation(_))) => refused += 1,
            Err(other) => panic!("unexpected outcome: {other}"),
        }
    }
    assert_eq!((shipped, refused), (10, 22));
    let stored = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.units_shipped(), 10);
    assert_eq!(stored.fulfillments().len(), 10);
    let outbox = store.outbox_stats().await.unwrap();
    assert_eq!(
        outbox.pending, 10,
        "one delivery per recorded shipment, none for refused ones"
    );
}

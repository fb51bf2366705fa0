//! Concurrency on PostgreSQL: optimistic versioning keeps design rule 2 under contention, and
//! `FOR UPDATE SKIP LOCKED` claims give each outbox row to exactly one dispatcher.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::FulfilError;
use orderbridge_domain::order::{FulfillmentRequest, Order};
use orderbridge_domain::outbox::{DeliveryKind, NewDelivery};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::store::{ClaimRequest, DeliveryLog, DeliveryQueue, OrderStore};
use orderbridge_domain::services::{Ingested, OrderService, OrderUpdateError, ServiceConfig};
use orderbridge_domain::testing::{new_order, test_channels};
use orderbridge_domain::values::{DeliveryId, EventId, OrderId, Quantity, Sku, TrackingNumber};
use orderbridge_postgres::Postgres;
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

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn concurrency_two_dispatchers_claim_1000_due_rows_each_exactly_once(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = store(options, connect).await;
    let start = Utc::now() - TimeDelta::minutes(1);
    for n in 0..1_000 {
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
    let dispatcher = |store: Arc<Postgres>| async move {
        let mut claimed = Vec::new();
        loop {
            let now = Utc::now();
            let request = ClaimRequest {
                now,
                lease_until: now + TimeDelta::hours(1),
                token: Uuid::now_v7(),
                limit: 25,
                skip_channels: Vec::new(),
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

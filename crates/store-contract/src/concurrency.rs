//! Checks of a store under concurrent use, which each store runs from its own tests with the
//! runtime and connections it needs (they are not part of [`crate::store_contract!`], whose
//! checks run on one task).

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, FulfilError, FulfillmentRequest,
    Order,
};
use orderbridge_domain::outbox::{DeliveryKind, NewDelivery};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::retention::RetentionPeriod;
use orderbridge_domain::services::{
    DeadlineService, Ingested, OrderService, OrderUpdateError, Purge, PurgeMode, ServiceConfig,
};
use orderbridge_domain::testing::{new_order, test_channels};
use orderbridge_domain::values::{
    CancellationId, DeliveryId, EventId, OrderId, Quantity, Sku, TrackingNumber,
};
use uuid::Uuid;

/// 32 one-unit fulfillments of a 10-unit order at once: optimistic versioning keeps design
/// rule 2, so exactly 10 ship, the other 22 are refused, and only the 10 queue a delivery.
/// Run it on a multi-threaded runtime.
pub async fn thirty_two_one_unit_fulfillments_on_a_ten_unit_order_ship_exactly_ten(
    store: Arc<dyn Store>,
) {
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

/// Queues one delivery, due since a minute ago, on each of `count` new orders.
pub async fn queue_due_rows(store: &dyn Store, count: usize) {
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
            waits_for: Vec::new(),
        };
        store.insert(&order, &[row]).await.unwrap();
    }
}

/// Four purges at once over 40 orders complete for 40 days (as several instances purge):
/// each order is erased exactly once, with one history entry, and the purges' counts add up.
/// Run it on a multi-threaded runtime.
pub async fn four_purges_at_once_erase_each_order_once(store: Arc<dyn Store>) {
    let at = Utc::now() - TimeDelta::days(40);
    let mut ids = Vec::new();
    for n in 0..40 {
        let new = new_order("adm", &format!("P-{n}"), &[("RED", 1, "1.00")]).unwrap();
        let mut order = Order::create(
            new,
            OrderId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at,
        )
        .unwrap();
        let version = store.insert(&order, &[]).await.unwrap();
        order.mark_saved(version);
        let request = CancellationRequest {
            reason: CancelReason::Customer,
            scope: CancelScope::WholeOrder,
            note: None,
        };
        let cancellation = CancellationId::from_uuid(Uuid::now_v7());
        order
            .cancel(
                &request,
                cancellation,
                EventId::from_uuid(Uuid::now_v7()),
                at,
            )
            .unwrap();
        store.save(&order, &[], &[]).await.unwrap();
        ids.push(order.id());
    }
    let period = RetentionPeriod::days(30).unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let purge = Purge::new(
                store.clone(),
                Arc::new(SystemClock),
                Arc::new(UuidV7Ids),
                period,
            )
            .with_page(5);
            tokio::spawn(async move { purge.run(PurgeMode::Erase, &mut |_| {}).await })
        })
        .collect();
    let mut erased = 0;
    for task in tasks {
        erased += task.await.unwrap().unwrap().orders;
    }
    assert_eq!(erased, 40, "the purges' counts add up to each order once");
    for id in ids {
        let order = store.get(id).await.unwrap().unwrap();
        let entries = order
            .events()
            .iter()
            .filter(|e| e.kind == EventType::PersonalDataErased)
            .count();
        assert_eq!(entries, 1, "{} erased once", order.external_id());
        assert!(order.erased_at().is_some());
    }
}

/// Eight alert checks at once, spread over `stores` (one store, or several on one database as
/// several instances are), over 25 overdue orders: each order's `order_overdue` alert is queued
/// exactly once. Run it on a multi-threaded runtime.
pub async fn concurrent_checks_alert_each_overdue_order_once(stores: Vec<Arc<dyn Store>>) {
    let store = stores.first().expect("a store").clone();
    let due = Utc::now() - TimeDelta::hours(1);
    for n in 0..25 {
        let mut new = new_order("adm", &format!("O-{n}"), &[("RED", 1, "1.00")]).unwrap();
        new.deliver_by = Some(due + TimeDelta::seconds(n));
        let order = Order::create(
            new,
            OrderId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            due - TimeDelta::days(1),
        )
        .unwrap();
        store.insert(&order, &[]).await.unwrap();
    }
    let checks: Vec<_> = (0..8)
        .map(|n| {
            let store = stores[n % stores.len()].clone();
            tokio::spawn(async move {
                let service =
                    DeadlineService::new(store, Arc::new(SystemClock), Arc::new(UuidV7Ids), true);
                service.check().await.unwrap()
            })
        })
        .collect();
    let mut alerted = Vec::new();
    for check in checks {
        let check = check.await.unwrap();
        assert_eq!(check.counts.len(), 1);
        assert_eq!(check.counts[0].orders, 25);
        alerted.extend(check.alerted);
    }
    let unique: std::collections::HashSet<OrderId> = alerted.iter().copied().collect();
    assert_eq!(
        (alerted.len(), unique.len()),
        (25, 25),
        "every order alerted by exactly one check"
    );
    let now = Utc::now();
    let queued = store
        .claim_alerts(now, now + TimeDelta::minutes(1), Uuid::now_v7(), 100)
        .await
        .unwrap();
    assert_eq!(queued.len(), 25, "one alert queued per order");
}

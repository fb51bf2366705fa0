//! What ingest writes and the conflict-retry loop, with mockall where a mock says more than a
//! fake, and the loop keeping rule 2 under contention over the in-memory store.

use std::sync::Arc;

use mockall::Sequence;

use super::{cancel_rest, ingest, queued, service, ship};
use crate::order::{FulfilError, Order};
use crate::outbox::DeliveryKind;
use crate::ports::marketplace::Capabilities;
use crate::ports::store::{InsertError, MockOrderStore, OrderStore, SaveError, StoreError};
use crate::services::{Channels, Ingested, OrderService, OrderUpdateError, ServiceConfig};
use crate::testing::{
    ManualClock, MemoryStore, SequentialIds, adm_capabilities, feedamp_capabilities, new_order,
    test_channels,
};
use crate::values::{ChannelId, OrderId};

// Ingest through a mock: which rows are written with the order.

#[tokio::test]
async fn ingest_writes_the_confirmation_in_the_same_insert_as_the_order() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert()
        .withf(|order, outbox| {
            outbox.len() == 1
                && outbox[0].kind == DeliveryKind::Confirm
                && outbox[0].order_id == order.id()
                && outbox[0].channel.as_str() == "feedamp"
        })
        .times(1)
        .returning(|_, _| Ok(crate::order::Version::new(1)));
    let service = service(Arc::new(store));
    let new = new_order("feedamp", "F-1", &[("RED", 1, "1.00")]).unwrap();
    assert!(matches!(
        service.ingest(new).await,
        Ok(Ingested::Created(_))
    ));
}

#[tokio::test]
async fn ingest_passes_on_a_duplicate_reported_by_the_store() {
    let mut store = MockOrderStore::new();
    let existing = OrderId::from_uuid(uuid::Uuid::from_u128(77));
    store
        .expect_insert()
        .times(1)
        .returning(move |_, _| Err(InsertError::AlreadyExists { existing }));
    let service = service(Arc::new(store));
    let new = new_order("adm", "A-1", &[("RED", 1, "1.00")]).unwrap();
    assert_eq!(
        service.ingest(new).await.unwrap(),
        Ingested::Duplicate(existing)
    );
}

// The conflict-retry loop.

fn stored_adm_order() -> Order {
    let new = new_order("adm", "A-1", &[("RED", 3, "1.00")]).unwrap();
    let mut order = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(900)),
        crate::values::EventId::from_uuid(uuid::Uuid::from_u128(901)),
        chrono::DateTime::<chrono::Utc>::from_timestamp(1_700_000_000, 0).unwrap(),
    )
    .unwrap();
    order.mark_saved(crate::order::Version::new(1));
    order
}

#[tokio::test]
async fn a_version_conflict_reloads_and_reapplies_the_change() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    let mut seq = Sequence::new();
    for attempt in 0..3 {
        let loaded = order.clone();
        store
            .expect_get()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(loaded.clone())));
        store
            .expect_save()
            .withf(|saved, outbox, alerts| {
                saved.new_fulfillments().len() == 1 && outbox.len() == 1 && alerts.is_empty()
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |saved, _, _| {
                if attempt < 2 {
                    Err(SaveError::Conflict(saved.id()))
                } else {
                    Ok(saved.version().next())
                }
            });
    }
    let service = service(Arc::new(store));
    let recorded = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(recorded.order.version(), crate::order::Version::new(2));
    assert!(recorded.order.new_fulfillments().is_empty(), "saved");
}

#[tokio::test]
async fn endless_conflicts_give_up_after_the_configured_attempts_with_a_retryable_error() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    store
        .expect_get()
        .times(5)
        .returning(move |_| Ok(Some(order.clone())));
    store
        .expect_save()
        .times(5)
        .returning(|saved, _, _| Err(SaveError::Conflict(saved.id())));
    let service = service(Arc::new(store));
    let result = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 1)]))
        .await;
    assert!(
        matches!(
            result,
            Err(OrderUpdateError::Contention { attempts: 5, .. })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_rejected_change_is_never_saved() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    store
        .expect_get()
        .times(1)
        .returning(move |_| Ok(Some(order.clone())));
    store.expect_save().never();
    let service = service(Arc::new(store));
    let result = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 4)]))
        .await;
    assert!(
        matches!(
            result,
            Err(OrderUpdateError::Rejected(FulfilError::Allocation(_)))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_order_and_a_store_failure_are_told_apart() {
    let mut store = MockOrderStore::new();
    store.expect_get().times(1).returning(|_| Ok(None));
    store
        .expect_get()
        .times(1)
        .returning(|_| Err(StoreError::msg("connection reset")));
    let service = service(Arc::new(store));
    let id = OrderId::from_uuid(uuid::Uuid::from_u128(5));
    let missing = service.cancel(id, &cancel_rest()).await;
    assert!(matches!(missing, Err(OrderUpdateError::NotFound(found)) if found == id));
    let failed = service.cancel(id, &cancel_rest()).await;
    assert!(matches!(failed, Err(OrderUpdateError::Store(_))));
}

#[tokio::test]
async fn capabilities_are_looked_up_per_channel() {
    let channels = Channels::new().with(ChannelId::parse("feedamp").unwrap(), adm_capabilities());
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        channels,
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    // Channel "feedamp" is configured with ADM's capabilities here: no confirmation is queued
    // and no carrier is required, whatever the channel's name.
    let order = ingest(&service, "feedamp").await;
    assert!(queued(&store, order.id()).await.is_empty());
    assert!(
        service
            .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
            .await
            .is_ok()
    );
    let caps: Option<&Capabilities> = service.channels().get(&ChannelId::parse("adm").unwrap());
    assert!(caps.is_none());
    assert!(feedamp_capabilities().requires_carrier);
}

// Concurrency over the in-memory store: the loop keeps rule 2 under contention.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_one_unit_fulfillments_never_ship_more_than_ordered() {
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    let new = new_order("adm", "C-1", &[("RED", 10, "1.00")]).unwrap();
    let Ingested::Created(order) = service.ingest(new).await.unwrap() else {
        panic!("duplicate")
    };
    let mut tasks = Vec::new();
    for n in 0..32 {
        let service = service.clone();
        let id = order.id();
        tasks.push(tokio::spawn(async move {
            service
                .record_fulfillment(id, &ship(&format!("T{n}"), None, &[("RED", 1)]))
                .await
        }));
    }
    let mut ok = 0;
    let mut over = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(OrderUpdateError::Rejected(FulfilError::Allocation(_))) => over += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, over), (10, 22));
    let stored = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.units_shipped(), 10);
}

//! Dispatcher tests: each marketplace outcome becomes the right row state and history entry.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::order::EventType;
use crate::outbox::{DeliveryKind, DeliveryState};
use crate::ports::clock::Clock;
use crate::ports::marketplace::{MockMarketplace, Outcome};
use crate::ports::store::{DeliveryLog, DeliveryQuery, OrderStore};
use crate::services::{
    Dispatched, Dispatcher, Ingested, Marketplaces, OrderService, RetryPolicy, ServiceConfig,
};
use crate::testing::{
    ManualClock, MemoryStore, SequentialIds, adm_capabilities, new_order, test_channels,
};
use crate::values::ChannelId;

struct Setup {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    service: OrderService,
}

fn setup() -> Setup {
    let clock = Arc::new(ManualClock::fixed());
    // The store's clock is the test's: moving it runs leases out.
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        clock.clone(),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    Setup {
        store,
        clock,
        service,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_secs(10),
        cap: Duration::from_secs(600),
        max_age: Duration::from_secs(3_600),
        lease: Duration::from_secs(30),
    }
}

fn dispatcher(setup: &Setup, marketplace: MockMarketplace) -> Dispatcher {
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(ChannelId::parse("adm").unwrap(), Arc::new(marketplace));
    Dispatcher::new(
        setup.store.clone(),
        setup.store.clone(),
        marketplaces,
        setup.clock.clone(),
        Arc::new(SequentialIds::default()),
        policy(),
    )
}

/// An ADM order with one shipment queued.
async fn shipped(setup: &Setup) -> crate::values::OrderId {
    let new = new_order("adm", "A-1", &[("RED", 2, "1.00")]).unwrap();
    let Ingested::Created(order) = setup.service.ingest(new).await.unwrap() else {
        panic!("duplicate")
    };
    let request = crate::order::FulfillmentRequest {
        tracking_number: crate::values::TrackingNumber::parse("1Z1").unwrap(),
        carrier: None,
        tracking_url: None,
        lines: vec![(
            crate::values::Sku::parse("RED").unwrap(),
            crate::values::Quantity::new(1).unwrap(),
        )],
        shipped_at: None,
    };
    setup
        .service
        .record_fulfillment(order.id(), &request)
        .await
        .unwrap();
    order.id()
}

fn answering(outcome: Outcome) -> MockMarketplace {
    let mut marketplace = MockMarketplace::new();
    marketplace
        .expect_capabilities()
        .return_const(adm_capabilities());
    marketplace
        .expect_send_fulfillment()
        .times(1)
        .returning(move |_, _, _| outcome.clone());
    marketplace
}

async fn only_row(setup: &Setup) -> crate::outbox::Delivery {
    let rows = setup
        .store
        .deliveries(&DeliveryQuery {
            state: None,
            order_id: None,
            after: None,
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    rows.into_iter().next().unwrap()
}

async fn last_event(setup: &Setup, order: crate::values::OrderId) -> crate::order::OrderEvent {
    setup
        .store
        .get(order)
        .await
        .unwrap()
        .unwrap()
        .events()
        .last()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn a_delivered_shipment_is_done_and_noted_with_its_reference() {
    let setup = setup();
    let order = shipped(&setup).await;
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::Delivered {
            remote_ref: Some("2024-04-30T12:00:00Z".to_owned()),
        }),
    );
    let claimed = dispatcher.claim(Uuid::now_v7(), 10, &[]).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(matches!(
        claimed[0].delivery.kind,
        DeliveryKind::Fulfillment(_)
    ));
    assert_eq!(
        dispatcher.dispatch(&claimed[0]).await.unwrap(),
        Dispatched::Delivered
    );
    let row = only_row(&setup).await;
    assert_eq!((row.state, row.attempts), (DeliveryState::Delivered, 1));
    assert_eq!(row.remote_ref.as_deref(), Some("2024-04-30T12:00:00Z"));
    let event = last_event(&setup, order).await;
    assert_eq!(event.kind, EventType::Delivered);
    assert!(
        event.detail.contains("delivered to adm"),
        "{}",
        event.detail
    );
}

#[tokio::test]
async fn a_passing_failure_is_retried_after_a_growing_delay() {
    let setup = setup();
    let order = shipped(&setup).await;
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::Retry {
            reason: "HTTP 503".to_owned(),
            retry_after: None,
        }),
    );
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    let now = setup.clock.now();
    let Dispatched::Retrying(at) = dispatcher.dispatch(&claimed).await.unwrap() else {
        panic!("not retrying")
    };
    assert!(
        at >= now + TimeDelta::seconds(5) && at <= now + TimeDelta::seconds(10),
        "{at}"
    );
    let row = only_row(&setup).await;
    assert_eq!(
        (row.state, row.attempts, row.last_error.as_deref()),
        (DeliveryState::Pending, 1, Some("HTTP 503"))
    );
    assert_eq!(
        last_event(&setup, order).await.kind,
        EventType::DeliveryFailed
    );
    assert!(
        dispatcher
            .claim(Uuid::now_v7(), 10, &[])
            .await
            .unwrap()
            .is_empty(),
        "not due before its time"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let setup = setup();
    shipped(&setup).await;
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::Retry {
            reason: "HTTP 429".to_owned(),
            retry_after: Some(Duration::from_secs(42)),
        }),
    );
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    let now = setup.clock.now();
    assert_eq!(
        dispatcher.dispatch(&claimed).await.unwrap(),
        Dispatched::Retrying(now + TimeDelta::seconds(42))
    );
}

#[tokio::test]
async fn a_delivery_failing_past_its_maximum_age_is_parked() {
    let setup = setup();
    shipped(&setup).await;
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::Retry {
            reason: "connection refused".to_owned(),
            retry_after: None,
        }),
    );
    setup.clock.advance(TimeDelta::seconds(3_601));
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    let Dispatched::Parked(error) = dispatcher.dispatch(&claimed).await.unwrap() else {
        panic!("not parked")
    };
    assert!(
        error.contains("gave up after 1 attempts") && error.contains("connection refused"),
        "{error}"
    );
    assert_eq!(only_row(&setup).await.state, DeliveryState::Dead);
}

#[tokio::test]
async fn a_rejection_is_parked_with_the_marketplace_message() {
    let setup = setup();
    let order = shipped(&setup).await;
    let message = "400 Invalid SKU or Quantity: One or more line items have an invalid SKU or quantity specified.";
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::Rejected {
            reason: message.to_owned(),
        }),
    );
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    assert!(matches!(
        dispatcher.dispatch(&claimed).await.unwrap(),
        Dispatched::Parked(_)
    ));
    let row = only_row(&setup).await;
    assert_eq!(row.state, DeliveryState::Dead);
    assert!(row.last_error.unwrap().contains(message));
    assert!(last_event(&setup, order).await.detail.contains("parked"));
}

#[tokio::test]
async fn an_authentication_failure_is_parked() {
    let setup = setup();
    shipped(&setup).await;
    let dispatcher = dispatcher(
        &setup,
        answering(Outcome::AuthFailed {
            reason: "HTTP 403".to_owned(),
        }),
    );
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    let Dispatched::Parked(error) = dispatcher.dispatch(&claimed).await.unwrap() else {
        panic!("not parked")
    };
    assert!(error.starts_with("authentication failed"), "{error}");
}

#[tokio::test]
async fn a_channel_without_a_marketplace_parks_its_rows_without_calling_anything() {
    let setup = setup();
    shipped(&setup).await;
    let dispatcher = Dispatcher::new(
        setup.store.clone(),
        setup.store.clone(),
        Marketplaces::new(),
        setup.clock.clone(),
        Arc::new(SequentialIds::default()),
        policy(),
    );
    let claimed = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    let Dispatched::Parked(error) = dispatcher.dispatch(&claimed).await.unwrap() else {
        panic!("not parked")
    };
    assert!(
        error.contains("no marketplace is configured for channel adm"),
        "{error}"
    );
}

#[tokio::test]
async fn an_outcome_after_the_lease_ran_out_and_was_taken_is_dropped() {
    let setup = setup();
    shipped(&setup).await;
    let dispatcher = dispatcher(&setup, answering(Outcome::Delivered { remote_ref: None }));
    let first = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    setup.clock.advance(TimeDelta::seconds(31));
    let second = dispatcher.claim(Uuid::now_v7(), 10, &[]).await.unwrap();
    assert_eq!(second.len(), 1, "the lease ran out");
    assert_eq!(
        dispatcher.dispatch(&first).await.unwrap(),
        Dispatched::LeaseLost
    );
    assert_eq!(
        only_row(&setup).await.attempts,
        0,
        "nothing recorded for the lost lease"
    );
}

#[test]
fn backoff_doubles_up_to_the_cap_with_jitter_in_its_upper_half() {
    let policy = policy();
    for seed in [0, 1, 7_919, u64::MAX] {
        for (attempts, full) in [(1, 10), (2, 20), (3, 40), (6, 320), (7, 600), (40, 600)] {
            let delay = policy.delay(attempts, None, seed);
            let full = Duration::from_secs(full);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempts}: {delay:?}"
            );
        }
    }
    assert_ne!(
        policy.delay(3, None, 1),
        policy.delay(3, None, 2),
        "jitter spreads rows"
    );
    assert_eq!(
        policy.delay(3, Some(Duration::from_secs(7)), 1),
        Duration::from_secs(7)
    );
    assert_eq!(
        policy.delay(3, Some(Duration::from_secs(7_200)), 1),
        Duration::from_secs(600),
        "capped"
    );
    assert_eq!(
        policy.delay(3, Some(Duration::ZERO), 1),
        Duration::from_secs(1)
    );
}

#[tokio::test]
async fn every_attempt_of_a_delivery_sends_its_id_as_the_key() {
    let setup = setup();
    shipped(&setup).await;
    let keys = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&keys);
    let mut answers = vec![
        Outcome::Delivered { remote_ref: None },
        Outcome::Retry {
            reason: "HTTP 503".to_owned(),
            retry_after: None,
        },
    ];
    let mut marketplace = MockMarketplace::new();
    marketplace
        .expect_capabilities()
        .return_const(adm_capabilities());
    marketplace
        .expect_send_fulfillment()
        .times(2)
        .returning(move |_, _, key| {
            seen.lock().unwrap().push(key);
            answers.pop().unwrap()
        });
    let dispatcher = dispatcher(&setup, marketplace);
    let first = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    assert!(matches!(
        dispatcher.dispatch(&first).await.unwrap(),
        Dispatched::Retrying(_)
    ));
    setup.clock.advance(TimeDelta::seconds(11));
    let second = dispatcher
        .claim(Uuid::now_v7(), 10, &[])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        dispatcher.dispatch(&second).await.unwrap(),
        Dispatched::Delivered
    );
    let id = first.delivery.id;
    assert_eq!(second.delivery.id, id, "the same delivery, attempted twice");
    assert_eq!(*keys.lock().unwrap(), [id, id]);
}

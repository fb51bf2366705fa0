//! The check that migration 0004 gives outbox rows queued before it the waits a row queued now
//! would get. Each store runs it with its own way of writing rows in the old shape and of
//! finishing its migrations.

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::{EventType, Order, OrderEvent};
use orderbridge_domain::outbox::DeliveryState;
use orderbridge_domain::ports::store::{AttemptResult, ClaimRequest, Claimed, Store};
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{DeliveryId, EventId, OrderId};
use uuid::Uuid;

fn order(channel: &str, id: &str) -> Order {
    let new = new_order(channel, id, &[("RED", 1, "1.00")]).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(Uuid::now_v7()),
        EventId::from_uuid(Uuid::now_v7()),
        Utc::now() - TimeDelta::hours(1),
    )
    .unwrap()
}

async fn claim(store: &dyn Store) -> Vec<Claimed> {
    let now = Utc::now();
    store
        .claim_due(&ClaimRequest {
            now,
            lease: std::time::Duration::from_secs(30),
            token: Uuid::now_v7(),
            limit: 100,
            skip_channels: Vec::new(),
            probe: None,
        })
        .await
        .unwrap()
}

fn ids(claimed: &[Claimed]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = claimed.iter().map(|c| c.delivery.id.as_uuid()).collect();
    ids.sort();
    ids
}

async fn deliver(store: &dyn Store, claimed: &[Claimed], id: Uuid) {
    let lease = claimed
        .iter()
        .find(|c| c.delivery.id.as_uuid() == id)
        .unwrap()
        .lease;
    let event = OrderEvent {
        id: EventId::from_uuid(Uuid::now_v7()),
        at: Utc::now(),
        kind: EventType::Delivered,
        subject: Some(id),
        detail: "delivered".to_owned(),
    };
    let done = AttemptResult::Delivered {
        remote_ref: None,
        at: Utc::now(),
    };
    store.complete(&lease, &done, &event).await.unwrap();
}

/// `store` has its migrations up to 0003 applied; `old_row(order, kind, subject, state)` writes
/// an outbox row as the store did before 0004 (pending rows due now, in queue order) and returns
/// its id; `finish` applies the remaining migrations. Then: of two whole-order calls pending,
/// the older is superseded and its waiters wait for the newer; the refund waits for it; a
/// shipment behind a parked one goes at once.
pub async fn rows_queued_before_0004_wait_as_rows_queued_now_would(
    store: &dyn Store,
    old_row: impl AsyncFn(&Order, &'static str, Option<Uuid>, &'static str) -> Uuid,
    finish: impl AsyncFnOnce(),
) {
    let feed = order("feedamp", "F-1");
    let adm = order("adm", "A-1");
    store.insert(&feed, &[]).await.unwrap();
    store.insert(&adm, &[]).await.unwrap();
    let confirm = old_row(&feed, "confirm", None, "pending").await;
    let older_call = old_row(&feed, "order_fulfillment", None, "pending").await;
    let refund = old_row(&feed, "refund", Some(Uuid::now_v7()), "pending").await;
    let newer_call = old_row(&feed, "order_fulfillment", None, "pending").await;
    let _parked = old_row(&adm, "fulfillment", Some(Uuid::now_v7()), "dead").await;
    let shipment = old_row(&adm, "fulfillment", Some(Uuid::now_v7()), "pending").await;

    finish().await;

    let older = store
        .delivery(DeliveryId::from_uuid(older_call))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(older.state, DeliveryState::Superseded);
    let first = claim(store).await;
    let mut expected = vec![confirm, shipment];
    expected.sort();
    assert_eq!(
        ids(&first),
        expected,
        "the confirmation, and the shipment the parked one no longer holds back"
    );
    deliver(store, &first, confirm).await;
    let second = claim(store).await;
    assert_eq!(
        ids(&second),
        vec![newer_call],
        "the refund waits for the newer call, which took the older one's waiters"
    );
    deliver(store, &second, newer_call).await;
    assert_eq!(ids(&claim(store).await), vec![refund]);
}

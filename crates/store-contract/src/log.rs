//! Checks of the operators' view of the outbox: listing, parking, requeueing, queue depth.

use orderbridge_domain::order::EventType;
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::store::{AttemptResult, DeliveryQuery, RequeueError, Store};
use orderbridge_domain::values::DeliveryId;

use crate::fixtures::{at, event, id};
use crate::queue::{all, claim, delivered, finish, queued};

pub async fn dead_rows_hold_back_their_waiters_and_can_be_requeued(store: &dyn Store) {
    let order = queued(
        store,
        "P-1",
        0,
        &[DeliveryKind::Confirm, DeliveryKind::OrderFulfillment],
    )
    .await;
    let first = claim(store, 10).await.remove(0);
    assert_eq!(first.delivery.kind, DeliveryKind::Confirm);
    finish(
        store,
        &first,
        AttemptResult::Dead {
            error: "400 Invalid SKU or Quantity".to_owned(),
        },
    )
    .await;
    assert!(
        claim(store, 20).await.is_empty(),
        "a parked row holds back the rows waiting for it"
    );
    let dead = store
        .deliveries(&DeliveryQuery {
            state: Some(DeliveryState::Dead),
            order_id: None,
            after: None,
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("400 Invalid SKU or Quantity")
    );
    let requeued = store
        .requeue(
            first.delivery.id,
            at(30),
            &event(EventType::DeliveryRequeued, 30, "requeued"),
        )
        .await
        .unwrap();
    assert_eq!(
        (requeued.state, requeued.next_attempt_at),
        (DeliveryState::Pending, at(30))
    );
    let again = claim(store, 30).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.id, first.delivery.id);
    let kinds: Vec<EventType> = store
        .get(order.id())
        .await
        .unwrap()
        .unwrap()
        .events()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.last(), Some(&EventType::DeliveryRequeued));
}

pub async fn requeue_of_a_missing_or_live_row_is_refused(store: &dyn Store) {
    queued(store, "Z-1", 0, &[DeliveryKind::Confirm]).await;
    let row = all(store).await.remove(0);
    let pending = store
        .requeue(row.id, at(5), &event(EventType::DeliveryRequeued, 5, "x"))
        .await;
    assert!(matches!(
        pending,
        Err(RequeueError::NotDead {
            state: DeliveryState::Pending,
            ..
        })
    ));
    let missing = DeliveryId::from_uuid(id());
    let result = store
        .requeue(missing, at(5), &event(EventType::DeliveryRequeued, 5, "x"))
        .await;
    assert!(matches!(result, Err(RequeueError::NotFound(found)) if found == missing));
}

pub async fn outbox_stats_count_pending_and_dead(store: &dyn Store) {
    let empty = store.outbox_stats().await.unwrap();
    assert_eq!(
        (empty.pending, empty.dead, empty.oldest_pending),
        (0, 0, None)
    );
    queued(store, "T-1", 5, &[DeliveryKind::Confirm]).await;
    queued(store, "T-2", 9, &[DeliveryKind::Confirm]).await;
    queued(store, "T-3", 1, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await;
    finish(
        store,
        &claimed[0],
        AttemptResult::Dead {
            error: "gone".to_owned(),
        },
    )
    .await;
    finish(store, &claimed[1], delivered(11)).await;
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (1, 1));
    assert_eq!(stats.oldest_pending, Some(at(9)));
}

pub async fn deliveries_are_listed_newest_first_by_keyset(store: &dyn Store) {
    for n in 0..5 {
        queued(store, &format!("K-{n}"), n, &[DeliveryKind::Confirm]).await;
    }
    let newest = all(store).await;
    assert_eq!(newest.len(), 5);
    assert!(
        newest.windows(2).all(|w| w[0].created_at > w[1].created_at),
        "newest first"
    );
    let first = store
        .deliveries(&DeliveryQuery {
            state: None,
            order_id: None,
            after: None,
            limit: 2,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    let second = store
        .deliveries(&DeliveryQuery {
            state: None,
            order_id: None,
            after: first.last().map(|d| d.id),
            limit: 2,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    let ids: Vec<_> = first.iter().chain(second.iter()).map(|d| d.id).collect();
    let expected: Vec<_> = newest.iter().take(4).map(|d| d.id).collect();
    assert_eq!(ids, expected);
}

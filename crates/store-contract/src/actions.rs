//! Checks of the operators' actions on the outbox beyond requeueing one row: resolving a row
//! done by hand, requeueing many at once, and the list filters a bulk retry uses.

use orderbridge_domain::order::EventType;
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::store::{
    AttemptResult, DeliveryQuery, Requeue, ResolveError, Store,
};
use orderbridge_domain::values::{ChannelId, DeliveryId};

use crate::fixtures::{at, create, event, id, insert, sample};
use crate::queue::{all, claim, delivered, finish, queued};

fn parked() -> AttemptResult {
    AttemptResult::Dead {
        error: "422 refused".to_owned(),
    }
}

async fn history(store: &dyn Store, order: orderbridge_domain::values::OrderId) -> Vec<EventType> {
    store
        .get(order)
        .await
        .unwrap()
        .unwrap()
        .events()
        .iter()
        .map(|e| e.kind)
        .collect()
}

pub async fn resolve_closes_a_row_releases_its_waiters_and_refuses_the_rest(store: &dyn Store) {
    let order = queued(
        store,
        "R-1",
        0,
        &[DeliveryKind::Confirm, DeliveryKind::OrderFulfillment],
    )
    .await;
    let confirm = claim(store, 10).await.remove(0);
    let resolving = event(EventType::DeliveryResolved, 12, "done by hand");
    let busy = store.resolve(confirm.delivery.id, &resolving).await;
    assert!(
        matches!(busy, Err(ResolveError::InFlight(found)) if found == confirm.delivery.id),
        "a row a sender holds is not resolved under it: {busy:?}"
    );
    finish(store, &confirm, parked()).await;
    assert!(
        claim(store, 12).await.is_empty(),
        "the call waits for the parked confirmation"
    );
    let resolved = store
        .resolve(confirm.delivery.id, &resolving)
        .await
        .unwrap();
    assert_eq!(resolved.state, DeliveryState::Resolved);
    assert_eq!(
        history(store, order.id()).await.last(),
        Some(&EventType::DeliveryResolved)
    );
    let next = claim(store, 13).await;
    assert_eq!(
        next.len(),
        1,
        "resolved counts as delivered for its waiters"
    );
    assert_eq!(next[0].delivery.kind, DeliveryKind::OrderFulfillment);
    assert!(
        claim(store, 40).await.is_empty(),
        "a resolved row is never sent again (the other is still leased)"
    );
    let again = store.resolve(confirm.delivery.id, &resolving).await;
    assert!(matches!(
        again,
        Err(ResolveError::Closed {
            state: DeliveryState::Resolved,
            ..
        })
    ));
    finish(store, &next[0], delivered(14)).await;
    let done = store.resolve(next[0].delivery.id, &resolving).await;
    assert!(matches!(
        done,
        Err(ResolveError::Closed {
            state: DeliveryState::Delivered,
            ..
        })
    ));
    let missing = DeliveryId::from_uuid(id());
    assert!(matches!(
        store.resolve(missing, &resolving).await,
        Err(ResolveError::NotFound(found)) if found == missing
    ));
    let events = history(store, order.id()).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == EventType::DeliveryResolved)
            .count(),
        1,
        "refused resolves write nothing"
    );
}

pub async fn requeue_many_takes_open_rows_only_with_an_event_each(store: &dyn Store) {
    let parked_order = queued(store, "M-1", 0, &[DeliveryKind::Confirm]).await;
    let delivered_order = queued(store, "M-2", 0, &[DeliveryKind::Confirm]).await;
    let leased_order = queued(store, "M-3", 0, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await;
    let by_order = |order: orderbridge_domain::values::OrderId| {
        claimed
            .iter()
            .find(|c| c.delivery.order_id == order)
            .unwrap()
            .clone()
    };
    finish(store, &by_order(parked_order.id()), parked()).await;
    finish(store, &by_order(delivered_order.id()), delivered(11)).await;
    let leased = by_order(leased_order.id());
    let requeues: Vec<Requeue> = all(store)
        .await
        .iter()
        .map(|d| Requeue {
            id: d.id,
            event: event(EventType::DeliveryRequeued, 20, "bulk"),
        })
        .chain(std::iter::once(Requeue {
            id: DeliveryId::from_uuid(id()),
            event: event(EventType::DeliveryRequeued, 20, "missing"),
        }))
        .collect();
    let done = store.requeue_many(&requeues, at(20)).await.unwrap();
    assert_eq!(
        done,
        vec![by_order(parked_order.id()).delivery.id],
        "only the parked row: the delivered one is done, the leased one is being sent"
    );
    let row = store
        .delivery(by_order(parked_order.id()).delivery.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state, row.next_attempt_at),
        (DeliveryState::Pending, at(20))
    );
    assert_eq!(
        history(store, parked_order.id()).await.last(),
        Some(&EventType::DeliveryRequeued)
    );
    assert_ne!(
        history(store, delivered_order.id()).await.last(),
        Some(&EventType::DeliveryRequeued)
    );
    crate::queue::run_out(store, std::slice::from_ref(&leased)).await;
    let after_lease = store
        .requeue_many(
            &[Requeue {
                id: leased.delivery.id,
                event: event(EventType::DeliveryRequeued, 50, "after the lease"),
            }],
            at(50),
        )
        .await
        .unwrap();
    assert_eq!(
        after_lease,
        vec![leased.delivery.id],
        "a pending row whose lease ran out (was given back) is made due now"
    );
}

pub async fn deliveries_filter_by_channel_and_creation_time(store: &dyn Store) {
    insert(
        store,
        create(sample("feedamp", "C-1"), 0),
        &[DeliveryKind::Confirm],
    )
    .await;
    insert(
        store,
        create(sample("feedamp-eu", "C-2"), 10),
        &[DeliveryKind::Confirm],
    )
    .await;
    insert(
        store,
        create(sample("feedamp", "C-3"), 20),
        &[DeliveryKind::Confirm],
    )
    .await;
    let list = |channel: Option<&str>, from: Option<i64>, before: Option<i64>| DeliveryQuery {
        channel: channel.map(|c| ChannelId::parse(c).unwrap()),
        created_from: from.map(at),
        created_before: before.map(at),
        limit: 100,
        ..DeliveryQuery::default()
    };
    let count = async |query: DeliveryQuery| store.deliveries(&query).await.unwrap().len();
    assert_eq!(count(list(Some("feedamp"), None, None)).await, 2);
    assert_eq!(count(list(Some("feedamp-eu"), None, None)).await, 1);
    assert_eq!(
        count(list(None, Some(10), None)).await,
        2,
        "from is inclusive"
    );
    assert_eq!(
        count(list(None, None, Some(20))).await,
        2,
        "before is exclusive"
    );
    assert_eq!(count(list(Some("feedamp"), Some(5), Some(25))).await, 1);
}

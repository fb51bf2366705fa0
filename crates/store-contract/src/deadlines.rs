//! Checks of ship-by (`Deadlines`): overdue orders (deadline strictly before now, units still
//! open) listed oldest deadline first by keyset, filtered by channel and status, counted per
//! channel, and each order's alert queued once, with the mark, however often it is raised.

use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, Order, OrderStatus,
};
use orderbridge_domain::ports::store::{
    DeadlineCursor, OverdueCount, OverdueOrder, OverdueQuery, Store,
};
use orderbridge_domain::values::{AlertId, CancellationId, ChannelId, EventId, OrderId};
use uuid::Uuid;

use crate::fixtures::{at, create, id, insert, sample, ship};

/// The checks' "now".
const NOW: i64 = 10_000;

/// An order on `channel` inserted at `at(0)`, due at `at(due)` (no deadline for `None`).
async fn order(store: &dyn Store, channel: &str, external_id: &str, due: Option<i64>) -> Order {
    let mut new = sample(channel, external_id);
    new.deliver_by = due.map(at);
    insert(store, create(new, 0), &[]).await
}

/// Ships every unit of a sample order.
async fn fulfil_all(store: &dyn Store, mut order: Order) {
    ship(&mut order, "T-ALL-1", "ABC-123", 4, 60);
    ship(&mut order, "T-ALL-2", "XYZ", 1, 61);
    store.save(&order, &[], &[]).await.unwrap();
}

/// Cancels every unit of an order.
async fn cancel_all(store: &dyn Store, mut order: Order) {
    let request = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: None,
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(70),
        )
        .unwrap();
    store.save(&order, &[], &[]).await.unwrap();
}

fn query(statuses: Vec<OrderStatus>, channel: Option<&str>, limit: u32) -> OverdueQuery {
    OverdueQuery {
        now: at(NOW),
        statuses,
        channel: channel.map(|c| ChannelId::parse(c).unwrap()),
        after: None,
        limit,
    }
}

async fn ids(store: &dyn Store, query: &OverdueQuery) -> Vec<OrderId> {
    let page = store.overdue(query).await.unwrap();
    page.orders.iter().map(Order::id).collect()
}

fn alert_for(order: &OverdueOrder) -> Alert {
    Alert {
        id: AlertId::from_uuid(id()),
        kind: AlertKind::OrderOverdue,
        channel: order.channel.clone(),
        order_id: Some(order.id),
        delivery_id: None,
        message: format!("order {} is overdue", order.external_id),
        at: at(NOW),
    }
}

pub async fn overdue_orders_come_oldest_deadline_first_by_keyset(store: &dyn Store) {
    let later = order(store, "adm", "D-1", Some(NOW - 10)).await;
    let oldest = order(store, "adm", "D-2", Some(NOW - 500)).await;
    // The same deadline as `later`, inserted after it: its id is greater.
    let tie = order(store, "feedamp", "D-3", Some(NOW - 10)).await;
    let mut partly = order(store, "adm", "D-4", Some(NOW - 100)).await;
    ship(&mut partly, "T1", "XYZ", 1, 30);
    store.save(&partly, &[], &[]).await.unwrap();
    order(store, "adm", "D-5", Some(NOW)).await; // due now: not late yet
    order(store, "adm", "D-6", Some(NOW + 3_600)).await;
    order(store, "adm", "D-7", None).await;

    let expected = [oldest.id(), partly.id(), later.id(), tie.id()];
    assert_eq!(ids(store, &query(vec![], None, 100)).await, expected);
    // Pages of three, then one: neither skipping nor repeating.
    let first = store.overdue(&query(vec![], None, 3)).await.unwrap();
    let first_ids: Vec<OrderId> = first.orders.iter().map(Order::id).collect();
    assert_eq!(first_ids, expected[..3]);
    assert_eq!(
        first.next,
        Some(DeadlineCursor {
            deliver_by: at(NOW - 10),
            id: later.id()
        })
    );
    let mut rest_query = query(vec![], None, 3);
    rest_query.after = first.next;
    let rest = store.overdue(&rest_query).await.unwrap();
    let rest_ids: Vec<OrderId> = rest.orders.iter().map(Order::id).collect();
    assert_eq!((rest_ids, rest.next), (vec![tie.id()], None));
    // Filters.
    assert_eq!(
        ids(store, &query(vec![], Some("feedamp"), 100)).await,
        [tie.id()]
    );
    assert_eq!(
        ids(
            store,
            &query(vec![OrderStatus::PartiallyFulfilled], None, 100)
        )
        .await,
        [partly.id()]
    );
    assert_eq!(
        ids(store, &query(vec![OrderStatus::Open], Some("adm"), 100)).await,
        [oldest.id(), later.id()]
    );
    assert!(
        ids(store, &query(vec![OrderStatus::Fulfilled], None, 100))
            .await
            .is_empty(),
        "a status that cannot be overdue selects nothing"
    );
    // The order loads whole.
    let page = store.overdue(&query(vec![], None, 1)).await.unwrap();
    assert_eq!(
        page.orders,
        [store.get(oldest.id()).await.unwrap().unwrap()]
    );
}

pub async fn settled_orders_are_neither_overdue_nor_counted(store: &dyn Store) {
    let open = order(store, "adm", "S-1", Some(NOW - 60)).await;
    let shipped = order(store, "adm", "S-2", Some(NOW - 60)).await;
    fulfil_all(store, shipped).await;
    let cancelled = order(store, "feedamp", "S-3", Some(NOW - 60)).await;
    cancel_all(store, cancelled.clone()).await;
    assert_eq!(ids(store, &query(vec![], None, 100)).await, [open.id()]);
    assert_eq!(
        store.overdue_counts(at(NOW)).await.unwrap(),
        [OverdueCount {
            channel: ChannelId::parse("adm").unwrap(),
            orders: 1
        }]
    );
    let unalerted = store.overdue_unalerted(at(NOW), 100).await.unwrap();
    assert_eq!(
        unalerted.iter().map(|o| o.id).collect::<Vec<_>>(),
        [open.id()]
    );
    // An alert for a settled order marks nothing and queues nothing.
    let stale = OverdueOrder {
        id: cancelled.id(),
        channel: cancelled.channel().clone(),
        external_id: cancelled.external_id().clone(),
        deliver_by: at(NOW - 60),
    };
    let marked = store
        .alert_overdue(&[alert_for(&stale)], at(NOW))
        .await
        .unwrap();
    assert!(marked.is_empty());
    let queued = store
        .claim_alerts(at(NOW), at(NOW + 60), Uuid::now_v7(), 10)
        .await
        .unwrap();
    assert!(queued.is_empty());
}

pub async fn overdue_orders_are_counted_per_channel(store: &dyn Store) {
    assert!(store.overdue_counts(at(NOW)).await.unwrap().is_empty());
    for n in 0..3 {
        order(store, "feedamp", &format!("C-F{n}"), Some(NOW - 1 - n)).await;
    }
    order(store, "adm", "C-A1", Some(NOW - 5)).await;
    order(store, "adm", "C-A2", Some(NOW + 5)).await;
    let counts = |adm, feedamp| {
        vec![
            OverdueCount {
                channel: ChannelId::parse("adm").unwrap(),
                orders: adm,
            },
            OverdueCount {
                channel: ChannelId::parse("feedamp").unwrap(),
                orders: feedamp,
            },
        ]
    };
    let mut found = store.overdue_counts(at(NOW)).await.unwrap();
    found.sort_by(|a, b| a.channel.cmp(&b.channel));
    assert_eq!(found, counts(1, 3));
    let mut later = store.overdue_counts(at(NOW + 6)).await.unwrap();
    later.sort_by(|a, b| a.channel.cmp(&b.channel));
    assert_eq!(later, counts(2, 3));
}

pub async fn an_overdue_alert_is_queued_once_per_order_with_its_mark(store: &dyn Store) {
    let first = order(store, "adm", "A-1", Some(NOW - 20)).await;
    let second = order(store, "feedamp", "A-2", Some(NOW - 10)).await;
    let not_due = order(store, "adm", "A-3", Some(NOW + 10)).await;
    let found = store.overdue_unalerted(at(NOW), 100).await.unwrap();
    assert_eq!(
        found,
        [
            OverdueOrder {
                id: first.id(),
                channel: ChannelId::parse("adm").unwrap(),
                external_id: first.external_id().clone(),
                deliver_by: at(NOW - 20),
            },
            OverdueOrder {
                id: second.id(),
                channel: ChannelId::parse("feedamp").unwrap(),
                external_id: second.external_id().clone(),
                deliver_by: at(NOW - 20 + 10),
            },
        ]
    );
    assert_eq!(
        store.overdue_unalerted(at(NOW), 1).await.unwrap().len(),
        1,
        "limited"
    );
    let alerts: Vec<Alert> = found.iter().map(alert_for).collect();
    let not_due_alert = alert_for(&OverdueOrder {
        id: not_due.id(),
        channel: not_due.channel().clone(),
        external_id: not_due.external_id().clone(),
        deliver_by: at(NOW + 10),
    });
    let mut with_not_due = alerts.clone();
    with_not_due.push(not_due_alert);
    let marked = store.alert_overdue(&with_not_due, at(NOW)).await.unwrap();
    assert_eq!(
        marked,
        [first.id(), second.id()],
        "the order not due is left"
    );
    // Raised again (a second check, another instance): nothing more.
    let again: Vec<Alert> = found.iter().map(alert_for).collect();
    assert!(
        store
            .alert_overdue(&again, at(NOW))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .overdue_unalerted(at(NOW), 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Once due, the third is alerted in its turn.
    let later = store.overdue_unalerted(at(NOW + 11), 100).await.unwrap();
    assert_eq!(
        later.iter().map(|o| o.id).collect::<Vec<_>>(),
        [not_due.id()]
    );
    // Exactly the first two alerts are queued, as given.
    let queued = store
        .claim_alerts(at(NOW), at(NOW + 60), Uuid::now_v7(), 10)
        .await
        .unwrap();
    let mut queued: Vec<Alert> = queued.into_iter().map(|q| q.alert).collect();
    queued.sort_by_key(|a| a.order_id.map(|o| o.as_uuid()));
    assert_eq!(queued, alerts);
}

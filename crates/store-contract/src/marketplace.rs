//! Checks of what marketplaces say after an order arrived (`OrderStore::save` with the
//! marketplace state and alerts, and `EarlyCancellations`): a hold and a marketplace
//! cancellation survive a save and a load, a cancellation keeps its origin, alerts commit with
//! their save and not with a losing one, and cancellations of orders not stored yet are kept
//! per channel, replaced, found and forgotten.

use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::order::OrderStatus;
use orderbridge_domain::order::{
    CancelOrigin, CancelReason, MarketplaceCancel, MarketplaceCancelled,
};
use orderbridge_domain::ports::store::{OrderPage, OrderQuery, SaveError, Store};
use orderbridge_domain::values::{AlertId, CancellationId, ChannelId, EventId, ExternalOrderId};

use crate::fixtures::{at, create, id, insert, sample, ship};

fn cancel(reason: CancelReason, seconds: i64) -> MarketplaceCancel {
    MarketplaceCancel {
        reason,
        note: Some(format!("marketplace said so at {seconds}")),
        at: at(seconds),
    }
}

pub async fn the_marketplace_state_and_alerts_are_saved_with_the_order(store: &dyn Store) {
    let mut order = insert(store, create(sample("adm", "MC-1"), 0), &[]).await;
    let stale = order.clone();
    ship(&mut order, "1Z-MC", "XYZ", 1, 10);
    assert!(order.set_hold(true, EventId::from_uuid(id()), at(11)));
    let version = store.save(&order, &[], &[]).await.unwrap();
    order.mark_saved(version);
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert!(loaded.on_hold(), "the hold is stored");
    let mut order = loaded;
    assert!(order.set_hold(false, EventId::from_uuid(id()), at(12)));
    let outcome = order.cancel_by_marketplace(
        &cancel(CancelReason::Fraud, 13),
        CancellationId::from_uuid(id()),
        EventId::from_uuid(id()),
        at(14),
    );
    assert_eq!(
        outcome,
        MarketplaceCancelled::Applied {
            cancelled: 4,
            shipped: 1
        }
    );
    let alert = Alert {
        id: AlertId::from_uuid(id()),
        kind: AlertKind::MarketplaceCancelledAfterShipment,
        channel: order.channel().clone(),
        order_id: Some(order.id()),
        delivery_id: None,
        message: "cancelled after 1 unit shipped".to_owned(),
        at: at(14),
    };
    // A losing save queues no alert.
    assert!(matches!(
        store.save(&stale, &[], std::slice::from_ref(&alert)).await,
        Err(SaveError::Conflict(_))
    ));
    assert!(
        store
            .claim_alerts(at(20), at(50), id(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .save(&order, &[], std::slice::from_ref(&alert))
        .await
        .unwrap();
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert!(!loaded.on_hold());
    assert_eq!(loaded.marketplace().cancelled_at, Some(at(13)));
    let last = loaded.cancellations().last().unwrap();
    assert_eq!(
        (last.origin(), last.reason(), last.units()),
        (CancelOrigin::Marketplace, CancelReason::Fraud, 4)
    );
    assert_eq!(loaded.cancellations(), order.cancellations());
    assert_eq!(loaded.status(), order.status());
    let claimed = store.claim_alerts(at(20), at(50), id(), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].alert, alert, "the alert commits with its save");
}

pub async fn early_cancellations_are_kept_per_channel_replaced_and_forgotten(store: &dyn Store) {
    let adm = ChannelId::parse("adm").unwrap();
    let feedamp = ChannelId::parse("feedamp").unwrap();
    let order = ExternalOrderId::parse("EARLY-1").unwrap();
    assert_eq!(store.kept_cancellation(&adm, &order).await.unwrap(), None);
    store
        .keep_cancellation(&adm, &order, &cancel(CancelReason::Customer, 1), at(2))
        .await
        .unwrap();
    assert_eq!(
        store.kept_cancellation(&adm, &order).await.unwrap(),
        Some(cancel(CancelReason::Customer, 1))
    );
    assert_eq!(
        store.kept_cancellation(&feedamp, &order).await.unwrap(),
        None,
        "per channel"
    );
    let replacement = MarketplaceCancel {
        note: None,
        ..cancel(CancelReason::PaymentDeclined, 3)
    };
    store
        .keep_cancellation(&adm, &order, &replacement, at(4))
        .await
        .unwrap();
    assert_eq!(
        store.kept_cancellation(&adm, &order).await.unwrap(),
        Some(replacement),
        "said again: replaced"
    );
    store.forget_cancellation(&adm, &order).await.unwrap();
    assert_eq!(store.kept_cancellation(&adm, &order).await.unwrap(), None);
    store.forget_cancellation(&adm, &order).await.unwrap();
}

pub async fn orders_are_listed_by_their_hold_with_the_other_filters(store: &dyn Store) {
    let free = insert(store, create(sample("feedamp", "H-1"), 0), &[]).await;
    let mut held = insert(store, create(sample("feedamp", "H-2"), 1), &[]).await;
    assert!(held.set_hold(true, EventId::from_uuid(id()), at(5)));
    held.mark_saved(store.save(&held, &[], &[]).await.unwrap());
    let mut shipped_held = insert(store, create(sample("feedamp", "H-3"), 2), &[]).await;
    ship(&mut shipped_held, "1Z-H3", "XYZ", 1, 6);
    assert!(shipped_held.set_hold(true, EventId::from_uuid(id()), at(7)));
    shipped_held.mark_saved(store.save(&shipped_held, &[], &[]).await.unwrap());
    let mut released = insert(store, create(sample("adm", "H-4"), 3), &[]).await;
    assert!(released.set_hold(true, EventId::from_uuid(id()), at(8)));
    released.mark_saved(store.save(&released, &[], &[]).await.unwrap());
    assert!(released.set_hold(false, EventId::from_uuid(id()), at(9)));
    store.save(&released, &[], &[]).await.unwrap();

    let query =
        |on_hold: Option<bool>, statuses: Vec<OrderStatus>, channel: Option<&str>| OrderQuery {
            statuses,
            channel: channel.map(|c| ChannelId::parse(c).unwrap()),
            updated_after: None,
            on_hold,
            after: None,
            limit: 100,
        };
    let ids = |page: OrderPage| page.orders.iter().map(|o| o.id()).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list(&query(Some(true), vec![], None)).await.unwrap()),
        [held.id(), shipped_held.id()]
    );
    assert_eq!(
        ids(store.list(&query(Some(false), vec![], None)).await.unwrap()),
        [free.id(), released.id()],
        "released: no longer on hold"
    );
    assert_eq!(
        ids(store.list(&query(None, vec![], None)).await.unwrap()).len(),
        4
    );
    assert_eq!(
        ids(store
            .list(&query(Some(true), vec![OrderStatus::Open], Some("feedamp")))
            .await
            .unwrap()),
        [held.id()],
        "with the status and channel filters"
    );
    assert!(
        store
            .list(&query(Some(true), vec![], Some("adm")))
            .await
            .unwrap()
            .orders
            .is_empty()
    );
    // Pages of one keep the filter.
    let mut page = query(Some(true), vec![], None);
    page.limit = 1;
    let first = store.list(&page).await.unwrap();
    assert_eq!(ids(first.clone()), [held.id()]);
    page.after = first.next;
    assert_eq!(ids(store.list(&page).await.unwrap()), [shipped_held.id()]);
}

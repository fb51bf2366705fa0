//! Checks of what marketplaces say after an order arrived (`OrderStore::save` with the
//! marketplace state and alerts, and `EarlyCancellations`): a hold and a marketplace
//! cancellation survive a save and a load, a cancellation keeps its origin, alerts commit with
//! their save and not with a losing one, and cancellations of orders not stored yet are kept
//! per channel, replaced, found and forgotten.

use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::order::{
    CancelOrigin, CancelReason, MarketplaceCancel, MarketplaceCancelled,
};
use orderbridge_domain::ports::store::{SaveError, Store};
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

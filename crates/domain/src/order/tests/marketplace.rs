//! Design section 11: what the marketplace says after an order arrived. Its cancellation
//! cancels every unit not shipped (once, whatever it is told again), is never a warehouse
//! cancellation, and refuses later shipments; a hold refuses shipments until released.

use super::{Ids, at, cancel, cancel_all, fulfil, ship, two_skus};
use crate::order::{
    CancelOrigin, CancelReason, EventType, FulfilError, Fulfilled, MarketplaceCancel,
    MarketplaceCancelled, Order, OrderStatus,
};
use crate::values::{CancellationId, EventId};

fn by_marketplace(order: &mut Order, ids: &mut Ids) -> MarketplaceCancelled {
    let cancel = MarketplaceCancel {
        reason: CancelReason::Customer,
        note: Some("customer".to_owned()),
        at: at(90),
    };
    order.cancel_by_marketplace(
        &cancel,
        CancellationId::from_uuid(ids.next()),
        EventId::from_uuid(ids.next()),
        at(100),
    )
}

#[test]
fn a_marketplace_cancellation_cancels_every_unit_not_shipped_once() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    assert_eq!(
        by_marketplace(&mut order, &mut ids),
        MarketplaceCancelled::Applied {
            cancelled: 3,
            shipped: 1
        }
    );
    assert_eq!(
        order.status(),
        OrderStatus::Fulfilled,
        "one shipped, three cancelled"
    );
    assert_eq!((order.units_shipped(), order.units_cancelled()), (1, 3));
    assert_eq!(order.marketplace().cancelled_at, Some(at(90)));
    let cancellation = order.cancellations().last().unwrap();
    assert_eq!(cancellation.origin(), CancelOrigin::Marketplace);
    assert_eq!(cancellation.note(), Some("customer"));
    let last = order.events().last().unwrap();
    assert_eq!(last.kind, EventType::Cancelled);
    assert!(
        last.detail.contains("cancelled by the marketplace"),
        "{}",
        last.detail
    );
    assert!(
        last.detail.contains("1 units had shipped already"),
        "{}",
        last.detail
    );
    // Told again (a retry, a re-read): nothing changes.
    let before = order.clone();
    assert_eq!(
        by_marketplace(&mut order, &mut ids),
        MarketplaceCancelled::Known
    );
    assert_eq!(order, before);
}

#[test]
fn after_a_marketplace_cancellation_no_shipment_is_taken_but_a_replay_is_recognised() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let first = fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    by_marketplace(&mut order, &mut ids);
    let before = order.clone();
    let refused = fulfil(&mut order, &mut ids, &ship("T2", &[("BLUE", 1)]));
    let Err(FulfilError::CancelledByMarketplace { channel, at: when }) = &refused else {
        panic!("refused: {refused:?}")
    };
    assert_eq!((channel.as_str(), *when), ("adm", at(90)));
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("marketplace of channel adm")
    );
    assert_eq!(order, before);
    let Fulfilled::Created(id) = first else {
        panic!("created")
    };
    assert_eq!(
        fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])),
        Ok(Fulfilled::Replayed(id)),
        "a retried request of a shipment made before is still recognised"
    );
}

#[test]
fn a_cancellation_of_a_fully_shipped_order_cancels_nothing_but_is_recorded() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("RED", 3), ("BLUE", 1)]),
    )
    .unwrap();
    let cancellations = order.cancellations().len();
    assert_eq!(
        by_marketplace(&mut order, &mut ids),
        MarketplaceCancelled::Applied {
            cancelled: 0,
            shipped: 4
        }
    );
    assert_eq!(
        order.cancellations().len(),
        cancellations,
        "no empty cancellation"
    );
    assert_eq!(order.status(), OrderStatus::Fulfilled);
    assert!(order.marketplace().cancelled_at.is_some());
    assert_eq!(order.events().last().unwrap().subject, None);
}

#[test]
fn warehouse_cancellations_keep_their_origin() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    cancel(&mut order, &mut ids, &cancel_all()).unwrap();
    assert_eq!(order.cancellations()[0].origin(), CancelOrigin::Warehouse);
    // The marketplace cancelling an order the warehouse cancelled: recorded, nothing to cancel.
    assert_eq!(
        by_marketplace(&mut order, &mut ids),
        MarketplaceCancelled::Applied {
            cancelled: 0,
            shipped: 0
        }
    );
    assert_eq!(order.status(), OrderStatus::Cancelled);
}

#[test]
fn a_held_order_refuses_shipments_until_released() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    assert!(order.set_hold(true, EventId::from_uuid(ids.next()), at(10)));
    assert!(
        !order.set_hold(true, EventId::from_uuid(ids.next()), at(11)),
        "no change"
    );
    assert_eq!(order.events().last().unwrap().kind, EventType::Held);
    let before = order.clone();
    assert!(matches!(
        fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])),
        Err(FulfilError::OnHold(_))
    ));
    assert_eq!(order, before);
    // The warehouse may still cancel a held order.
    assert!(cancel(&mut order, &mut ids, &super::cancel_lines(&[("BLUE", 1)])).is_ok());
    assert!(order.set_hold(false, EventId::from_uuid(ids.next()), at(20)));
    assert_eq!(order.events().last().unwrap().kind, EventType::Released);
    assert!(fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).is_ok());
}

#[test]
fn the_marketplace_state_survives_a_record_round_trip() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    order.set_hold(true, EventId::from_uuid(ids.next()), at(10));
    by_marketplace(&mut order, &mut ids);
    let restored = Order::restore(order.to_record()).unwrap();
    assert_eq!(restored.marketplace(), order.marketplace());
    assert_eq!(restored.cancellations(), order.cancellations());
    assert_eq!(restored.status(), order.status());
}

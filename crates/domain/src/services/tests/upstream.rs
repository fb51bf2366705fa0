//! What marketplaces say after an order arrived, through the service over the in-memory
//! store: a cancellation is applied without reporting anything back, raises one alert when
//! something had shipped, is kept when it comes before its order and applied on arrival; a
//! hold refuses shipments until released.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};

use super::{ingest, queued, service, ship};
use crate::alert::AlertKind;
use crate::order::{CancelOrigin, CancelReason, FulfilError, MarketplaceCancel, OrderStatus};
use crate::outbox::DeliveryKind;
use crate::ports::store::{AlertQueue, EarlyCancellations};
use crate::services::{Ingested, MarketplaceCancelOutcome, OrderService, OrderUpdateError};
use crate::testing::{MemoryStore, new_order};
use crate::values::{ChannelId, ExternalOrderId};

fn cancel() -> MarketplaceCancel {
    MarketplaceCancel {
        reason: CancelReason::Customer,
        note: Some("customer".to_owned()),
        at: Utc::now(),
    }
}

fn with_early(store: &Arc<MemoryStore>) -> OrderService {
    service(store.clone())
        .with_early_cancellations(store.clone())
        .with_alerting(true)
}

async fn alerts(store: &MemoryStore) -> Vec<AlertKind> {
    let now = Utc::now() + TimeDelta::days(1);
    store
        .claim_alerts(now, now + TimeDelta::minutes(1), uuid::Uuid::now_v7(), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.alert.kind)
        .collect()
}

#[tokio::test]
async fn a_cancellation_after_a_shipment_cancels_the_rest_reports_nothing_and_alerts_once() {
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let order = ingest(&service, "adm").await;
    service
        .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    let before = queued(&store, order.id()).await;
    let channel = ChannelId::parse("adm").unwrap();
    let outcome = service
        .marketplace_cancelled(&channel, order.external_id(), &cancel())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        MarketplaceCancelOutcome::Applied {
            order: order.id(),
            cancelled: 2,
            shipped: 1
        }
    );
    assert_eq!(
        queued(&store, order.id()).await,
        before,
        "nothing reported back"
    );
    let again = service
        .marketplace_cancelled(&channel, order.external_id(), &cancel())
        .await
        .unwrap();
    assert_eq!(again, MarketplaceCancelOutcome::Known(order.id()));
    assert_eq!(
        alerts(&store).await,
        [AlertKind::MarketplaceCancelledAfterShipment],
        "one alert, however often it is told"
    );
    let stored = service.order(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Fulfilled);
    let refused = service
        .record_fulfillment(order.id(), &ship("T2", None, &[("BLUE", 1)]))
        .await;
    assert!(matches!(
        refused,
        Err(OrderUpdateError::Rejected(
            FulfilError::CancelledByMarketplace { .. }
        ))
    ));
}

#[tokio::test]
async fn a_cancellation_before_anything_shipped_raises_no_alert() {
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let order = ingest(&service, "feedamp").await;
    let channel = ChannelId::parse("feedamp").unwrap();
    service
        .marketplace_cancelled(&channel, order.external_id(), &cancel())
        .await
        .unwrap();
    let stored = service.order(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Cancelled);
    assert_eq!(
        stored.cancellations()[0].origin(),
        CancelOrigin::Marketplace
    );
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm],
        "only the confirmation of its arrival; the cancellation is not sent back"
    );
    assert!(alerts(&store).await.is_empty());
}

#[tokio::test]
async fn a_cancellation_before_its_order_is_kept_and_the_order_arrives_cancelled() {
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let channel = ChannelId::parse("adm").unwrap();
    let external = ExternalOrderId::parse("E-1").unwrap();
    let outcome = service
        .marketplace_cancelled(&channel, &external, &cancel())
        .await
        .unwrap();
    assert_eq!(outcome, MarketplaceCancelOutcome::Kept);
    assert!(
        store
            .kept_cancellation(&channel, &external)
            .await
            .unwrap()
            .is_some()
    );
    let order = ingest(&service, "adm").await;
    assert_eq!(order.status(), OrderStatus::Cancelled, "arrives cancelled");
    assert!(order.marketplace().cancelled_at.is_some());
    assert!(
        store
            .kept_cancellation(&channel, &external)
            .await
            .unwrap()
            .is_none(),
        "applied, then forgotten"
    );
    // An order of the same id on another channel is not touched.
    let other = service
        .ingest(new_order("feedamp", "E-1", &[("RED", 1, "1.00")]).unwrap())
        .await
        .unwrap();
    let Ingested::Created(other) = other else {
        panic!("created")
    };
    assert_eq!(other.status(), OrderStatus::Open);
}

#[tokio::test]
async fn without_a_store_for_them_an_early_cancellation_is_an_error_not_lost_silently() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store);
    let result = service
        .marketplace_cancelled(
            &ChannelId::parse("adm").unwrap(),
            &ExternalOrderId::parse("NOPE").unwrap(),
            &cancel(),
        )
        .await;
    assert!(matches!(result, Err(OrderUpdateError::Store(_))));
}

#[tokio::test]
async fn a_held_order_refuses_shipments_until_released() {
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let order = ingest(&service, "feedamp").await;
    let (changed, held) = service.marketplace_hold(order.id(), true).await.unwrap();
    assert!(changed && held.on_hold());
    let (changed, _) = service.marketplace_hold(order.id(), true).await.unwrap();
    assert!(!changed, "told again: nothing saved");
    assert!(matches!(
        service
            .record_fulfillment(order.id(), &ship("T1", Some("UPS"), &[("RED", 1)]))
            .await,
        Err(OrderUpdateError::Rejected(FulfilError::OnHold(_)))
    ));
    service.marketplace_hold(order.id(), false).await.unwrap();
    service
        .record_fulfillment(order.id(), &ship("T1", Some("UPS"), &[("RED", 1)]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_kept_cancellation_left_behind_is_applied_when_the_order_comes_again() {
    // As after an ingest that stored the order and then failed before applying it.
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let order = ingest(&service, "adm").await;
    store
        .keep_cancellation(order.channel(), order.external_id(), &cancel(), Utc::now())
        .await
        .unwrap();
    let again = service
        .ingest(new_order("adm", "E-1", &[("RED", 2, "10.00"), ("BLUE", 1, "5.00")]).unwrap())
        .await
        .unwrap();
    assert_eq!(again, Ingested::Duplicate(order.id()));
    let stored = service.order(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Cancelled);
    assert!(
        store
            .kept_cancellation(order.channel(), order.external_id())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn on_a_whole_order_channel_a_cancellation_completing_a_shipped_order_releases_its_fulfil() {
    let store = Arc::new(MemoryStore::new());
    let service = with_early(&store);
    let order = ingest(&service, "feedamp").await;
    service
        .record_fulfillment(order.id(), &ship("T1", Some("UPS"), &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm],
        "FeedAMP hears of shipments once every unit is accounted for"
    );
    let channel = ChannelId::parse("feedamp").unwrap();
    service
        .marketplace_cancelled(&channel, order.external_id(), &cancel())
        .await
        .unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm, DeliveryKind::OrderFulfillment],
        "the shipment is still reported (without the marketplace's own cancellation)"
    );
    // Told again: nothing more is queued.
    service
        .marketplace_cancelled(&channel, order.external_id(), &cancel())
        .await
        .unwrap();
    assert_eq!(queued(&store, order.id()).await.len(), 2);
}

//! The outbox policy per channel capability, and ingest and requeue rules, over the in-memory
//! store.

use std::sync::Arc;

use super::{cancel_rest, ingest, queued, refund_lines, service, ship};
use crate::order::{EventType, FulfilError, Fulfilled};
use crate::outbox::{DeliveryKind, DeliveryState};
use crate::ports::store::{DeliveryLog, DeliveryQuery};
use crate::services::{DeliveryService, Ingested, OrderUpdateError};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order};
use crate::values::LineNo;

// The outbox policy, per capability.

#[tokio::test]
async fn a_per_shipment_channel_gets_one_delivery_per_fulfillment_and_no_confirmation() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "adm").await;
    assert!(
        queued(&store, order.id()).await.is_empty(),
        "ADM confirms nothing"
    );
    let first = service
        .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    let second = service
        .record_fulfillment(order.id(), &ship("T2", None, &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [
            DeliveryKind::Fulfillment(first.outcome.id()),
            DeliveryKind::Fulfillment(second.outcome.id())
        ]
    );
}

#[tokio::test]
async fn a_channel_without_cancellation_or_refund_endpoints_gets_a_history_note_instead() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "adm").await;
    let cancelled = service.cancel(order.id(), &cancel_rest()).await.unwrap();
    let refunded = service
        .refund(order.id(), &refund_lines(&[(1, "1.00")]))
        .await
        .unwrap();
    assert!(queued(&store, order.id()).await.is_empty());
    let notes: Vec<&str> = refunded
        .order
        .events()
        .iter()
        .filter(|e| e.kind == EventType::NotReported)
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("cancellations") && notes[1].contains("refunds"),
        "{notes:?}"
    );
    assert_eq!(
        cancelled.order.status(),
        crate::order::OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn a_whole_order_channel_is_confirmed_on_ingest_and_fulfilled_once_when_complete() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "feedamp").await;
    assert_eq!(queued(&store, order.id()).await, [DeliveryKind::Confirm]);
    service
        .record_fulfillment(order.id(), &ship("T1", Some("UPS"), &[("RED", 1)]))
        .await
        .unwrap();
    service
        .record_fulfillment(order.id(), &ship("T2", Some("UPS"), &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm],
        "not complete yet"
    );
    service
        .record_fulfillment(order.id(), &ship("T3", Some("UPS"), &[("BLUE", 1)]))
        .await
        .unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm, DeliveryKind::OrderFulfillment]
    );
}

#[tokio::test]
async fn on_a_whole_order_channel_a_cancellation_that_completes_the_order_releases_the_fulfil_call()
{
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "feedamp").await;
    service
        .record_fulfillment(order.id(), &ship("T1", Some("UPS"), &[("RED", 2)]))
        .await
        .unwrap();
    service.cancel(order.id(), &cancel_rest()).await.unwrap();
    assert_eq!(
        queued(&store, order.id()).await,
        [DeliveryKind::Confirm, DeliveryKind::OrderFulfillment]
    );
}

#[tokio::test]
async fn a_per_line_refund_channel_gets_one_delivery_per_refunded_line() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "feedamp").await;
    let refunded = service
        .refund(order.id(), &refund_lines(&[(1, "10.00"), (2, "5.00")]))
        .await
        .unwrap();
    let id = refunded.outcome.id();
    assert_eq!(
        queued(&store, order.id()).await,
        [
            DeliveryKind::Confirm,
            DeliveryKind::Refund {
                refund: id,
                line: Some(LineNo::new(1).unwrap())
            },
            DeliveryKind::Refund {
                refund: id,
                line: Some(LineNo::new(2).unwrap())
            },
        ]
    );
}

#[tokio::test]
async fn a_channel_that_requires_a_carrier_refuses_a_shipment_without_one() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "feedamp").await;
    let result = service
        .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
        .await;
    assert!(
        matches!(
            result,
            Err(OrderUpdateError::Rejected(FulfilError::CarrierRequired))
        ),
        "{result:?}"
    );
    let adm = ingest(&service, "adm").await;
    assert!(
        service
            .record_fulfillment(adm.id(), &ship("T1", None, &[("RED", 1)]))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_replayed_fulfillment_queues_nothing_more() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "adm").await;
    let first = service
        .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    let again = service
        .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(again.outcome, Fulfilled::Replayed(first.outcome.id()));
    assert_eq!(queued(&store, order.id()).await.len(), 1);
    assert_eq!(
        again.order.version(),
        first.order.version(),
        "a replay saves nothing"
    );
}

#[tokio::test]
async fn ingesting_the_same_order_twice_reports_a_duplicate_and_stores_one() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "adm").await;
    let new = new_order("adm", "E-1", &[("RED", 2, "10.00")]).unwrap();
    assert_eq!(
        service.ingest(new).await.unwrap(),
        Ingested::Duplicate(order.id())
    );
}

#[tokio::test]
async fn an_order_from_an_unconfigured_channel_is_refused() {
    let service = service(Arc::new(MemoryStore::new()));
    let new = new_order("amazon", "E-1", &[("RED", 2, "10.00")]).unwrap();
    let result = service.ingest(new).await;
    assert!(
        matches!(result, Err(crate::services::IngestError::UnknownChannel(c)) if c.as_str() == "amazon")
    );
}

#[tokio::test]
async fn only_dead_deliveries_can_be_requeued() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let order = ingest(&service, "feedamp").await;
    let query = DeliveryQuery {
        state: Some(DeliveryState::Pending),
        order_id: Some(order.id()),
        after: None,
        limit: 10,
        ..DeliveryQuery::default()
    };
    let confirm = store.deliveries(&query).await.unwrap().remove(0);
    let operators = DeliveryService::new(
        store.clone(),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
    );
    let result = operators.requeue_delivery(confirm.id).await;
    assert!(result.is_err_and(|e| e.to_string().contains("not dead")));
}

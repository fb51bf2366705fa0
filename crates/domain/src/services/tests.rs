//! Service tests: the outbox policy per capability, the conflict-retry loop (with mockall,
//! where a mock says more than a fake), and whole use cases over the in-memory store.

use std::sync::Arc;

use mockall::Sequence;

use crate::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, FulfilError, Fulfilled,
    FulfillmentRequest, Order, RefundLineRequest, RefundReason, RefundRequest,
};
use crate::outbox::{DeliveryKind, DeliveryState};
use crate::ports::marketplace::Capabilities;
use crate::ports::store::{
    DeliveryLog, DeliveryQuery, InsertError, MockOrderStore, OrderStore, SaveError, StoreError,
};
use crate::services::{
    Channels, DeliveryService, Ingested, OrderService, OrderUpdateError, ServiceConfig,
};
use crate::testing::{
    ManualClock, MemoryStore, SequentialIds, adm_capabilities, feedamp_capabilities, new_order,
    test_channels,
};
use crate::values::{
    Carrier, ChannelId, Currency, LineNo, Money, OrderId, Quantity, Sku, TrackingNumber,
};

fn service(store: Arc<dyn OrderStore>) -> OrderService {
    OrderService::new(
        store,
        test_channels(),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig {
            max_update_attempts: 5,
        },
    )
}

fn ship(tracking: &str, carrier: Option<&str>, lines: &[(&str, u32)]) -> FulfillmentRequest {
    FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: carrier.map(|c| Carrier::parse(c).unwrap()),
        tracking_url: None,
        lines: lines
            .iter()
            .map(|(s, q)| (Sku::parse(s).unwrap(), Quantity::new(*q).unwrap()))
            .collect(),
        shipped_at: None,
    }
}

fn cancel_rest() -> CancellationRequest {
    CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::WholeOrder,
        note: None,
    }
}

fn refund_lines(lines: &[(u32, &str)]) -> RefundRequest {
    RefundRequest {
        reference: None,
        reason: RefundReason::CustomerReturn,
        note: None,
        lines: lines
            .iter()
            .map(|(line, amount)| RefundLineRequest {
                line: LineNo::new(*line).unwrap(),
                quantity: 1,
                amount: Money::new(amount.parse().unwrap(), Currency::USD),
            })
            .collect(),
    }
}

async fn ingest(service: &OrderService, channel: &str) -> Order {
    let new = new_order(channel, "E-1", &[("RED", 2, "10.00"), ("BLUE", 1, "5.00")]).unwrap();
    match service.ingest(new).await.unwrap() {
        Ingested::Created(order) => *order,
        Ingested::Duplicate(id) => panic!("unexpected duplicate {id}"),
    }
}

async fn queued(store: &MemoryStore, order: OrderId) -> Vec<DeliveryKind> {
    let query = DeliveryQuery {
        state: None,
        order_id: Some(order),
        after: None,
        limit: 100,
    };
    let mut kinds: Vec<DeliveryKind> = store
        .deliveries(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.kind)
        .collect();
    kinds.reverse(); // oldest first
    kinds
}

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

// Ingest through a mock: which rows are written with the order.

#[tokio::test]
async fn ingest_writes_the_confirmation_in_the_same_insert_as_the_order() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert()
        .withf(|order, outbox| {
            outbox.len() == 1
                && outbox[0].kind == DeliveryKind::Confirm
                && outbox[0].order_id == order.id()
                && outbox[0].channel.as_str() == "feedamp"
        })
        .times(1)
        .returning(|_, _| Ok(crate::order::Version::new(1)));
    let service = service(Arc::new(store));
    let new = new_order("feedamp", "F-1", &[("RED", 1, "1.00")]).unwrap();
    assert!(matches!(
        service.ingest(new).await,
        Ok(Ingested::Created(_))
    ));
}

#[tokio::test]
async fn ingest_passes_on_a_duplicate_reported_by_the_store() {
    let mut store = MockOrderStore::new();
    let existing = OrderId::from_uuid(uuid::Uuid::from_u128(77));
    store
        .expect_insert()
        .times(1)
        .returning(move |_, _| Err(InsertError::AlreadyExists { existing }));
    let service = service(Arc::new(store));
    let new = new_order("adm", "A-1", &[("RED", 1, "1.00")]).unwrap();
    assert_eq!(
        service.ingest(new).await.unwrap(),
        Ingested::Duplicate(existing)
    );
}

// The conflict-retry loop.

fn stored_adm_order() -> Order {
    let new = new_order("adm", "A-1", &[("RED", 3, "1.00")]).unwrap();
    let mut order = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(900)),
        crate::values::EventId::from_uuid(uuid::Uuid::from_u128(901)),
        chrono::DateTime::<chrono::Utc>::from_timestamp(1_700_000_000, 0).unwrap(),
    )
    .unwrap();
    order.mark_saved(crate::order::Version::new(1));
    order
}

#[tokio::test]
async fn a_version_conflict_reloads_and_reapplies_the_change() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    let mut seq = Sequence::new();
    for attempt in 0..3 {
        let loaded = order.clone();
        store
            .expect_get()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(loaded.clone())));
        store
            .expect_save()
            .withf(|saved, outbox| saved.new_fulfillments().len() == 1 && outbox.len() == 1)
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |saved, _| {
                if attempt < 2 {
                    Err(SaveError::Conflict(saved.id()))
                } else {
                    Ok(saved.version().next())
                }
            });
    }
    let service = service(Arc::new(store));
    let recorded = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 1)]))
        .await
        .unwrap();
    assert_eq!(recorded.order.version(), crate::order::Version::new(2));
    assert!(recorded.order.new_fulfillments().is_empty(), "saved");
}

#[tokio::test]
async fn endless_conflicts_give_up_after_the_configured_attempts_with_a_retryable_error() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    store
        .expect_get()
        .times(5)
        .returning(move |_| Ok(Some(order.clone())));
    store
        .expect_save()
        .times(5)
        .returning(|saved, _| Err(SaveError::Conflict(saved.id())));
    let service = service(Arc::new(store));
    let result = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 1)]))
        .await;
    assert!(
        matches!(
            result,
            Err(OrderUpdateError::Contention { attempts: 5, .. })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_rejected_change_is_never_saved() {
    let order = stored_adm_order();
    let id = order.id();
    let mut store = MockOrderStore::new();
    store
        .expect_get()
        .times(1)
        .returning(move |_| Ok(Some(order.clone())));
    store.expect_save().never();
    let service = service(Arc::new(store));
    let result = service
        .record_fulfillment(id, &ship("T1", None, &[("RED", 4)]))
        .await;
    assert!(
        matches!(
            result,
            Err(OrderUpdateError::Rejected(FulfilError::Allocation(_)))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_order_and_a_store_failure_are_told_apart() {
    let mut store = MockOrderStore::new();
    store.expect_get().times(1).returning(|_| Ok(None));
    store
        .expect_get()
        .times(1)
        .returning(|_| Err(StoreError::msg("connection reset")));
    let service = service(Arc::new(store));
    let id = OrderId::from_uuid(uuid::Uuid::from_u128(5));
    let missing = service.cancel(id, &cancel_rest()).await;
    assert!(matches!(missing, Err(OrderUpdateError::NotFound(found)) if found == id));
    let failed = service.cancel(id, &cancel_rest()).await;
    assert!(matches!(failed, Err(OrderUpdateError::Store(_))));
}

#[tokio::test]
async fn capabilities_are_looked_up_per_channel() {
    let channels = Channels::new().with(ChannelId::parse("feedamp").unwrap(), adm_capabilities());
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        channels,
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    // Channel "feedamp" is configured with ADM's capabilities here: no confirmation is queued
    // and no carrier is required, whatever the channel's name.
    let order = ingest(&service, "feedamp").await;
    assert!(queued(&store, order.id()).await.is_empty());
    assert!(
        service
            .record_fulfillment(order.id(), &ship("T1", None, &[("RED", 1)]))
            .await
            .is_ok()
    );
    let caps: Option<&Capabilities> = service.channels().get(&ChannelId::parse("adm").unwrap());
    assert!(caps.is_none());
    assert!(feedamp_capabilities().requires_carrier);
}

// Concurrency over the in-memory store: the loop keeps rule 2 under contention.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_one_unit_fulfillments_never_ship_more_than_ordered() {
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    let new = new_order("adm", "C-1", &[("RED", 10, "1.00")]).unwrap();
    let Ingested::Created(order) = service.ingest(new).await.unwrap() else {
        panic!("duplicate")
    };
    let mut tasks = Vec::new();
    for n in 0..32 {
        let service = service.clone();
        let id = order.id();
        tasks.push(tokio::spawn(async move {
            service
                .record_fulfillment(id, &ship(&format!("T{n}"), None, &[("RED", 1)]))
                .await
        }));
    }
    let mut ok = 0;
    let mut over = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(OrderUpdateError::Rejected(FulfilError::Allocation(_))) => over += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, over), (10, 22));
    let stored = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(stored.units_shipped(), 10);
}

//! Recording a batch of outcomes (design section 12): one row the store refuses never fails the
//! others of its batch, and a store that is down is not asked once per row.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::order::OrderEvent;
use crate::order::{FulfillmentRequest, Order};
use crate::outbox::DeliveryState;
use crate::ports::marketplace::{MockMarketplace, Outcome};
use crate::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryLog, DeliveryQuery, DeliveryQueue,
    Lease, LeaseError, StoreError,
};
use crate::services::{
    Dispatched, Dispatcher, Ingested, Marketplaces, OrderService, RetryPolicy, ServiceConfig,
};
use crate::testing::{
    ManualClock, MemoryStore, SequentialIds, adm_capabilities, new_order, test_channels,
};
use crate::values::{ChannelId, Quantity, Sku, TrackingNumber};

/// The reference this queue's store cannot hold.
const UNSTORABLE: &str = "UNSTORABLE";

/// The in-memory queue, except that a batch holding a completion delivered with the
/// [`UNSTORABLE`] reference fails whole (as PostgreSQL fails a batch with one bad value), or
/// that every call fails (`down`).
#[derive(Debug)]
struct Picky {
    store: Arc<MemoryStore>,
    down: bool,
    calls: AtomicUsize,
}

#[async_trait]
impl DeliveryQueue for Picky {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        self.store.claim_due(request).await
    }

    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        self.store.complete(lease, result, event).await
    }

    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let unstorable = completions.iter().any(|c| {
            matches!(&c.result, AttemptResult::Delivered { remote_ref: Some(r), .. } if r == UNSTORABLE)
        });
        if self.down || unstorable {
            return Err(StoreError::msg("invalid byte sequence"));
        }
        self.store.complete_many(completions).await
    }

    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.store.renew(lease, length).await
    }

    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        self.store.release(tokens).await
    }
}

/// Three ADM orders with a shipment each; ADM answers the second with a reference the store
/// cannot hold.
async fn three_shipments(store: &Arc<MemoryStore>) {
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    for external in ["E-1", "E-2", "E-3"] {
        let new = new_order("adm", external, &[("RED", 1, "1.00")]).unwrap();
        let Ingested::Created(order) = service.ingest(new).await.unwrap() else {
            panic!("duplicate");
        };
        let request = FulfillmentRequest {
            tracking_number: TrackingNumber::parse(&format!("T-{external}")).unwrap(),
            carrier: None,
            tracking_url: None,
            lines: vec![(Sku::parse("RED").unwrap(), Quantity::new(1).unwrap())],
            shipped_at: None,
        };
        service
            .record_fulfillment(order.id(), &request)
            .await
            .unwrap();
    }
}

fn dispatcher(store: &Arc<MemoryStore>, queue: Arc<Picky>) -> Dispatcher {
    let mut adm = MockMarketplace::new();
    adm.expect_capabilities().return_const(adm_capabilities());
    adm.expect_send_fulfillment()
        .returning(|order: &Order, _, _| Outcome::Delivered {
            remote_ref: Some(if order.external_id().as_str() == "E-2" {
                UNSTORABLE.to_owned()
            } else {
                format!("R-{}", order.external_id())
            }),
        });
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(ChannelId::parse("adm").unwrap(), Arc::new(adm));
    Dispatcher::new(
        queue,
        store.clone(),
        marketplaces,
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        RetryPolicy {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(600),
            max_age: Duration::from_secs(3_600),
            lease: Duration::from_secs(30),
        },
    )
}

/// Claims every row, sends each and records the batch.
async fn send_batch(dispatcher: &Dispatcher) -> Vec<Result<Dispatched, StoreError>> {
    let ready = dispatcher
        .claim_ready(Uuid::from_u128(9), 10, &[])
        .await
        .unwrap();
    assert_eq!(ready.len(), 3);
    let mut attempts = Vec::new();
    for row in &ready {
        attempts.push(dispatcher.attempt_ready(row, std::future::pending()).await);
    }
    dispatcher.record(attempts).await.1
}

#[tokio::test]
async fn one_row_the_store_refuses_leaves_the_others_of_its_batch_recorded() {
    let store = Arc::new(MemoryStore::new());
    three_shipments(&store).await;
    let queue = Arc::new(Picky {
        store: store.clone(),
        down: false,
        calls: AtomicUsize::new(0),
    });
    let recorded = send_batch(&dispatcher(&store, queue.clone())).await;
    assert_eq!(recorded.len(), 3);
    assert!(
        matches!(recorded[0], Ok(Dispatched::Delivered)),
        "{recorded:?}"
    );
    assert!(recorded[1].is_err(), "{recorded:?}");
    assert!(
        matches!(recorded[2], Ok(Dispatched::Delivered)),
        "{recorded:?}"
    );
    assert_eq!(
        queue.calls.load(Ordering::Relaxed),
        4,
        "the batch, then each alone"
    );
    let mut rows = store
        .deliveries(&DeliveryQuery {
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    rows.retain(|d| d.kind.name() == "fulfillment");
    rows.sort_by_key(|d| d.id);
    let states: Vec<(DeliveryState, Option<String>)> = rows
        .iter()
        .map(|d| (d.state, d.remote_ref.clone()))
        .collect();
    assert_eq!(
        states,
        [
            (DeliveryState::Delivered, Some("R-E-1".to_owned())),
            (DeliveryState::Pending, None),
            (DeliveryState::Delivered, Some("R-E-3".to_owned())),
        ],
        "only the refused row is left to be tried again"
    );
}

#[tokio::test]
async fn a_store_that_is_down_is_asked_for_the_batch_and_two_rows_alone_only() {
    let store = Arc::new(MemoryStore::new());
    three_shipments(&store).await;
    let queue = Arc::new(Picky {
        store: store.clone(),
        down: true,
        calls: AtomicUsize::new(0),
    });
    let recorded = send_batch(&dispatcher(&store, queue.clone())).await;
    assert!(recorded.iter().all(Result::is_err), "{recorded:?}");
    assert_eq!(queue.calls.load(Ordering::Relaxed), 3);
}

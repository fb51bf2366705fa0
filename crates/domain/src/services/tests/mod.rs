//! Service tests: the outbox policy per capability, the conflict-retry loop (with mockall,
//! where a mock says more than a fake), and whole use cases over the in-memory store.

use std::sync::Arc;

use crate::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, Order, RefundLineRequest,
    RefundReason, RefundRequest,
};
use crate::outbox::DeliveryKind;
use crate::ports::store::{DeliveryLog, DeliveryQuery, OrderStore};
use crate::services::{Ingested, OrderService, ServiceConfig};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order, test_channels};
use crate::values::{Carrier, Currency, LineNo, Money, OrderId, Quantity, Sku, TrackingNumber};

mod policy;
mod retry;
mod upstream;

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
        ..DeliveryQuery::default()
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

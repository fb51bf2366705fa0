//! The `Marketplace` conformance kit: one suite that every marketplace adapter runs against a
//! fake server, so that all adapters classify answers the same way and serve exactly what they
//! declare in their capabilities.
//!
//! An adapter's tests implement [`Subject`] (how to build the adapter against a base URL, and
//! what else its fake must serve, such as a token route) and expand [`marketplace_contract!`],
//! which makes one test per check:
//!
//! ```text
//! orderbridge_marketplace_contract::marketplace_contract!(MySubject::new());
//! ```
//!
//! Each check points the adapter at a fresh [`MockServer`] whose every other route answers the
//! status under test, then calls each declared operation on an order that has a shipment, a
//! cancellation and a refund. One check also requires every declared call to carry the
//! delivery's id as `Idempotency-Key`, the same on each attempt of one delivery.
//! `docs/adding-a-marketplace.md` walks through it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, NewLine, NewOrder, Order,
    RefundLineRequest, RefundReason, RefundRequest, Totals,
};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, FulfillmentMode, Marketplace, Outcome, RefundSupport,
};
use orderbridge_domain::values::{
    CancellationId, Carrier, ChannelId, Currency, DeliveryId, EventId, ExternalOrderId,
    FulfillmentId, LineNo, Money, OrderId, Quantity, RefundId, Sku, TrackingNumber, TrackingUrl,
};
use rust_decimal::Decimal;
use uuid::Uuid;
pub use wiremock::MockServer;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

/// What an adapter's tests provide to the kit.
pub trait Subject: Send + Sync {
    /// The channel id the adapter's orders carry.
    fn channel(&self) -> &str;

    /// The adapter, pointed at `base_url`, with requests timing out after `timeout`.
    fn adapter(&self, base_url: &str, timeout: Duration) -> Arc<dyn Marketplace>;

    /// Mounts on `server` whatever the adapter needs besides the call under test (a token
    /// route, say), answering normally. Mounted mocks take precedence over the kit's catch-all.
    fn prepare(&self, server: &MockServer) -> impl Future<Output = ()> + Send;
}

/// One operation of the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `confirm`.
    Confirm,
    /// `send_fulfillment`.
    Fulfillment,
    /// `send_order_fulfillment`.
    OrderFulfillment,
    /// `send_cancellation`.
    Cancellation,
    /// `send_refund`.
    Refund,
}

const ALL_CALLS: [Call; 5] = [
    Call::Confirm,
    Call::Fulfillment,
    Call::OrderFulfillment,
    Call::Cancellation,
    Call::Refund,
];

/// The calls an adapter declares it serves.
#[must_use]
pub fn declared(adapter: &dyn Marketplace) -> Vec<Call> {
    let caps = adapter.capabilities();
    ALL_CALLS
        .into_iter()
        .filter(|call| match call {
            Call::Confirm => caps.confirms_orders,
            Call::Fulfillment => caps.fulfillment == FulfillmentMode::PerShipment,
            Call::OrderFulfillment => caps.fulfillment == FulfillmentMode::WholeOrder,
            Call::Cancellation => caps.cancellations == CancellationSupport::PerCancellation,
            Call::Refund => caps.refunds != RefundSupport::None,
        })
        .collect()
}

fn at() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap()
}

fn id() -> Uuid {
    Uuid::now_v7()
}

/// A fresh delivery id, as the key of one delivery.
fn key() -> DeliveryId {
    DeliveryId::from_uuid(id())
}

/// A complete order of `channel`: two units of A shipped in one package, one unit of B
/// cancelled, one unit of A refunded.
#[must_use]
pub fn sample_order(channel: &str) -> Order {
    let mut order = Order::create(
        new_sample_order(channel),
        OrderId::from_uuid(id()),
        EventId::from_uuid(id()),
        at(),
    )
    .unwrap();
    ship_sample(&mut order);
    cancel_sample(&mut order);
    refund_sample(&mut order);
    order
}

/// The sample order as received: two units of A and one of B.
fn new_sample_order(channel: &str) -> NewOrder {
    let line = |sku: &str, quantity: u32, external: &str| NewLine {
        sku: Sku::parse(sku).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
        unit_price: Decimal::new(1999, 2),
        total_discount: Decimal::ZERO,
        total_tax: Decimal::new(160, 2),
        external_line_id: Some(external.to_owned()),
        title: Some(format!("Product {sku}")),
    };
    NewOrder {
        channel: ChannelId::parse(channel).unwrap(),
        external_id: ExternalOrderId::parse("450789469").unwrap(),
        currency: Currency::USD,
        placed_at: at(),
        deliver_by: None,
        email: None,
        shipping_address: None,
        shipping_service: None,
        totals: Totals {
            total: Some(Decimal::new(6477, 2)),
            ..Totals::default()
        },
        lines: vec![line("SKU-A", 2, "L-1"), line("SKU-B", 1, "L-2")],
        raw_payload: None,
        flags: Vec::new(),
    }
}

/// Ships both units of A in one package.
fn ship_sample(order: &mut Order) {
    let shipment = FulfillmentRequest {
        tracking_number: TrackingNumber::parse("1ZKIT0001").unwrap(),
        carrier: Some(Carrier::parse("UPS").unwrap()),
        tracking_url: Some(TrackingUrl::parse("https://ups.example/track/1ZKIT0001").unwrap()),
        lines: vec![(Sku::parse("SKU-A").unwrap(), Quantity::new(2).unwrap())],
        shipped_at: Some(at()),
    };
    order
        .fulfil(
            &shipment,
            FulfillmentId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(),
        )
        .unwrap();
}

/// Cancels the unit of B.
fn cancel_sample(order: &mut Order) {
    let cancellation = CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::Lines(vec![(
            Sku::parse("SKU-B").unwrap(),
            Quantity::new(1).unwrap(),
        )]),
        note: None,
    };
    order
        .cancel(
            &cancellation,
            CancellationId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(),
        )
        .unwrap();
}

/// Refunds one unit of A.
fn refund_sample(order: &mut Order) {
    let refund = RefundRequest {
        reference: None,
        reason: RefundReason::CustomerReturn,
        note: None,
        lines: vec![RefundLineRequest {
            line: LineNo::new(1).unwrap(),
            quantity: 1,
            amount: Money::new(Decimal::new(1999, 2), Currency::USD),
        }],
    };
    order
        .refund(
            &refund,
            RefundId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(),
        )
        .unwrap();
}

/// Makes one call on the sample order, as an attempt of the delivery `key`.
pub async fn call(
    adapter: &dyn Marketplace,
    order: &Order,
    which: Call,
    key: DeliveryId,
) -> Outcome {
    match which {
        Call::Confirm => adapter.confirm(order, key).await,
        Call::Fulfillment => {
            adapter
                .send_fulfillment(order, &order.fulfillments()[0], key)
                .await
        }
        Call::OrderFulfillment => adapter.send_order_fulfillment(order, key).await,
        Call::Cancellation => {
            adapter
                .send_cancellation(order, &order.cancellations()[0], key)
                .await
        }
        Call::Refund => {
            let refund = &order.refunds()[0];
            adapter
                .send_refund(order, refund, Some(refund.lines()[0].line), key)
                .await
        }
    }
}

/// A fresh fake answering `template` to everything the subject did not mount.
async fn fake(subject: &impl Subject, template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    subject.prepare(&server).await;
    Mock::given(any())
        .respond_with(template)
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// Every declared call, answered `status` (with `headers`), ends as `expected` says.
async fn classify(
    subject: &impl Subject,
    template: ResponseTemplate,
    what: &str,
    expected: impl Fn(&Outcome) -> bool,
) {
    let server = fake(subject, template).await;
    let adapter = subject.adapter(&server.uri(), Duration::from_millis(500));
    let order = sample_order(subject.channel());
    let calls = declared(adapter.as_ref());
    assert!(!calls.is_empty(), "the adapter declares no call at all");
    for which in calls {
        let outcome = call(adapter.as_ref(), &order, which, key()).await;
        assert!(
            expected(&outcome),
            "{which:?} answered {what}: got {outcome:?}"
        );
    }
}

fn json_error(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        r#"{"error":"Kit Error","message":"the conformance kit refused this call"}"#,
        "application/json",
    )
}

/// 2xx answers are delivered, and each declared call reaches the server.
pub async fn success_is_delivered(subject: &impl Subject) {
    for status in [200, 201, 202] {
        classify(
            subject,
            ResponseTemplate::new(status).set_body_raw("{}", "application/json"),
            &format!("{status}"),
            |o| matches!(o, Outcome::Delivered { .. }),
        )
        .await;
    }
}

/// Declared calls make a request; undeclared ones answer `Rejected` without one.
pub async fn capabilities_match_what_is_served(subject: &impl Subject) {
    let server = fake(
        subject,
        ResponseTemplate::new(200).set_body_raw("{}", "application/json"),
    )
    .await;
    let adapter = subject.adapter(&server.uri(), Duration::from_millis(500));
    let order = sample_order(subject.channel());
    let declared = declared(adapter.as_ref());
    for which in ALL_CALLS {
        let before = server.received_requests().await.map_or(0, |r| r.len());
        let outcome = call(adapter.as_ref(), &order, which, key()).await;
        let after = server.received_requests().await.map_or(0, |r| r.len());
        if declared.contains(&which) {
            assert!(after > before, "{which:?} is declared but sent nothing");
            assert!(
                matches!(outcome, Outcome::Delivered { .. }),
                "{which:?}: {outcome:?}"
            );
        } else {
            assert_eq!(
                after, before,
                "{which:?} is not declared but sent a request"
            );
            assert!(
                matches!(outcome, Outcome::Rejected { .. }),
                "{which:?}: {outcome:?}"
            );
        }
    }
}

/// 400, 404 and 422 are rejections for good, carrying the marketplace's words.
pub async fn client_errors_are_rejected(subject: &impl Subject) {
    for status in [400, 404, 422] {
        classify(subject, json_error(status), &format!("{status}"), |o| {
            matches!(o, Outcome::Rejected { reason } if reason.contains("the conformance kit refused this call") || reason.contains("Kit Error"))
        })
        .await;
    }
}

/// 401 (after any credential refresh) and 403 are authentication failures.
pub async fn auth_errors_are_auth_failures(subject: &impl Subject) {
    for status in [401, 403] {
        classify(subject, json_error(status), &format!("{status}"), |o| {
            matches!(o, Outcome::AuthFailed { .. })
        })
        .await;
    }
}

/// 408, 429 and 5xx are retried; `Retry-After` is passed on.
pub async fn passing_failures_are_retried(subject: &impl Subject) {
    for status in [408, 500, 502, 503] {
        classify(subject, json_error(status), &format!("{status}"), |o| {
            matches!(o, Outcome::Retry { .. })
        })
        .await;
    }
    classify(subject, json_error(429).insert_header("Retry-After", "3"), "429 with Retry-After: 3", |o| {
        matches!(o, Outcome::Retry { retry_after: Some(after), .. } if *after == Duration::from_secs(3))
    })
    .await;
}

/// A server slower than the timeout, or none at all, is retried.
pub async fn timeouts_and_refused_connections_are_retried(subject: &impl Subject) {
    classify(
        subject,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
        "after the timeout",
        |o| matches!(o, Outcome::Retry { .. }),
    )
    .await;
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let adapter = subject.adapter(&format!("http://{closed}"), Duration::from_millis(500));
    let order = sample_order(subject.channel());
    for which in declared(adapter.as_ref()) {
        let outcome = call(adapter.as_ref(), &order, which, key()).await;
        assert!(
            matches!(outcome, Outcome::Retry { .. }),
            "{which:?} with no server: {outcome:?}"
        );
    }
}

/// Every declared call sends `Idempotency-Key: <the delivery's id>`: the same on every attempt
/// of one delivery (each retried after a `503`), another for another delivery. Requests the
/// subject's own mocks answer (a token route) are not counted.
pub async fn attempts_carry_the_delivery_id_as_idempotency_key(subject: &impl Subject) {
    let server = MockServer::start().await;
    subject.prepare(&server).await;
    let calls = Mock::given(any())
        .respond_with(json_error(503))
        .with_priority(u8::MAX)
        .mount_as_scoped(&server)
        .await;
    let adapter = subject.adapter(&server.uri(), Duration::from_millis(500));
    let order = sample_order(subject.channel());
    for which in declared(adapter.as_ref()) {
        let (first, second) = (key(), key());
        for attempt in [first, first, second] {
            let before = calls.received_requests().await.len();
            let outcome = call(adapter.as_ref(), &order, which, attempt).await;
            assert!(
                matches!(outcome, Outcome::Retry { .. }),
                "{which:?}: {outcome:?}"
            );
            let sent: Vec<Option<String>> = calls.received_requests().await[before..]
                .iter()
                .map(|request| {
                    let value = request.headers.get("idempotency-key")?;
                    value.to_str().ok().map(str::to_owned)
                })
                .collect();
            assert!(!sent.is_empty(), "{which:?} sent nothing");
            let expected = Some(attempt.to_string());
            assert!(
                sent.iter().all(|key| *key == expected),
                "{which:?} as an attempt of delivery {attempt}: Idempotency-Key {sent:?}"
            );
        }
    }
}

/// Expands to one `#[tokio::test]` per check, for the subject built by `$subject`.
#[macro_export]
macro_rules! marketplace_contract {
    ($subject:expr) => {
        $crate::marketplace_contract!(@each $subject;
            success_is_delivered,
            capabilities_match_what_is_served,
            client_errors_are_rejected,
            auth_errors_are_auth_failures,
            passing_failures_are_retried,
            timeouts_and_refused_connections_are_retried,
            attempts_carry_the_delivery_id_as_idempotency_key
        );
    };
    (@each $subject:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::$name(&$subject).await;
            }
        )*
    };
}

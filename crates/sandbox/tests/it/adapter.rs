//! The ADM adapter against the sandbox: generated orders go through the adapter's webhook
//! parser, and its `AdmClient` delivers shipments to the fake ADM, which checks them on its
//! own reading of seed 002. Each fault must come out as the outcome the design names, and
//! every attempt of one delivery carries its id as `Idempotency-Key`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_adm::webhook::{WebhookSettings, parse_order};
use orderbridge_adm::{AdmClient, AdmConfig, Secret};
use orderbridge_domain::order::{Fulfillment, FulfillmentRequest, Order};
use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::values::{
    ChannelId, Currency, DeliveryId, EventId, FulfillmentId, OrderId, Quantity, Sku,
    TrackingNumber, TrackingUrl,
};
use orderbridge_sandbox::{AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, GeneratedOrder};
use serde_json::json;
use uuid::Uuid;

use crate::support::{KEY, sandbox_with, wait_for_held};

/// The id of delivery `n`.
fn delivery(n: u128) -> DeliveryId {
    DeliveryId::from_uuid(Uuid::from_u128(0xde11_0000 + n))
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap()
}

/// The generated order as the adapter reads it from the webhook.
fn order(generated: &GeneratedOrder) -> Order {
    let settings = WebhookSettings {
        channel: ChannelId::parse("adm").unwrap(),
        currency: Currency::USD,
    };
    let new = parse_order(&generated.body(), &settings, now()).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(Uuid::from_u128(1)),
        EventId::from_uuid(Uuid::from_u128(2)),
        now(),
    )
    .unwrap()
}

/// Ships every unit of `order` in one package.
fn ship_all(order: &mut Order, tracking: &str) -> Fulfillment {
    let lines = order
        .lines()
        .iter()
        .map(|line| {
            (
                Sku::parse(line.sku().as_str()).unwrap(),
                Quantity::new(line.quantity().get()).unwrap(),
            )
        })
        .collect();
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: None,
        tracking_url: Some(TrackingUrl::parse("https://track.example/1Z").unwrap()),
        lines,
        shipped_at: None,
    };
    let id = FulfillmentId::from_uuid(Uuid::from_u128(10));
    order
        .fulfil(&request, id, EventId::from_uuid(Uuid::from_u128(11)), now())
        .unwrap();
    order.fulfillment(id).cloned().unwrap()
}

fn client(sandbox: &AdmSandbox) -> AdmClient {
    let config = AdmConfig::new(sandbox.base_url(), Secret::new(KEY))
        .with_request_timeout(Duration::from_millis(500));
    AdmClient::new(config).unwrap()
}

/// A sandbox that knows only the orders it is told about.
async fn strict_sandbox() -> AdmSandbox {
    sandbox_with(AdmSandboxConfig::new(KEY).with_accept_unknown_orders(false)).await
}

#[tokio::test]
async fn generated_orders_shipped_whole_are_delivered_and_match_what_was_ordered() {
    let sandbox = strict_sandbox().await;
    let client = client(&sandbox);
    let generated: Vec<GeneratedOrder> = AdmOrderGenerator::new(21).take(20).collect();
    for (n, generated) in generated.iter().enumerate() {
        sandbox.register_order(&generated.id, &generated.line_refs());
        let mut order = order(generated);
        let shipment = ship_all(&mut order, &format!("1Z{n:04}"));
        let outcome = client
            .send_fulfillment(&order, &shipment, delivery(n as u128))
            .await;
        assert!(matches!(outcome, Outcome::Delivered { .. }), "{outcome:?}");
        for (sku, _) in &generated.lines {
            let ordered: u64 = generated
                .lines
                .iter()
                .filter(|(other, _)| other == sku)
                .map(|(_, quantity)| u64::from(*quantity))
                .sum();
            assert_eq!(sandbox.shipped_units(&generated.id, sku), Some(ordered));
        }
    }
    let accepted = sandbox.accepted();
    assert_eq!(accepted.len(), 20);
    for (record, generated) in accepted.iter().zip(&generated) {
        // All-digit ids that fit u64 travel as JSON integers (design section 4).
        assert_eq!(
            record.order_id_sent,
            json!(generated.id.parse::<u64>().unwrap())
        );
        assert_eq!(
            record.tracking_url.as_deref(),
            Some("https://track.example/1Z")
        );
    }
}

#[tokio::test]
async fn each_fault_comes_out_as_the_outcome_the_design_names() {
    let sandbox = strict_sandbox().await;
    let client = client(&sandbox);
    let generated = AdmOrderGenerator::new(22).next_order();
    sandbox.register_order(&generated.id, &generated.line_refs());
    let mut order = order(&generated);
    let shipment = ship_all(&mut order, "1ZFAULTS");

    sandbox.faults().fail_next(1);
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(matches!(outcome, Outcome::Retry { .. }), "500: {outcome:?}");

    sandbox.faults().drop_next(1);
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { .. }),
        "dropped: {outcome:?}"
    );

    sandbox.faults().delay_next(1, Duration::from_secs(2));
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { .. }),
        "timeout: {outcome:?}"
    );

    sandbox.faults().rate_limit_next(1, Duration::from_secs(7));
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    match outcome {
        Outcome::Retry { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
        }
        other => panic!("429: {other:?}"),
    }

    sandbox.faults().unauthorized_next(1);
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(
        matches!(outcome, Outcome::AuthFailed { .. }),
        "401: {outcome:?}"
    );

    assert_eq!(sandbox.accepted_count(), 0, "no fault created anything");
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(matches!(outcome, Outcome::Delivered { .. }), "{outcome:?}");
    // A re-send of the same delivery gets the first answer and records nothing.
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(matches!(outcome, Outcome::Delivered { .. }), "{outcome:?}");
    assert_eq!(sandbox.accepted_count(), 1);
    // Everything is shipped now: ADM refuses another delivery of it for good.
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(2))
        .await;
    assert!(matches!(outcome, Outcome::Rejected { .. }), "{outcome:?}");
    let keys: Vec<Option<String>> = sandbox
        .requests()
        .into_iter()
        .map(|entry| entry.idempotency_key)
        .collect();
    let first = Some(delivery(1).to_string());
    let mut expected = vec![first; 7];
    expected.push(Some(delivery(2).to_string()));
    assert_eq!(keys, expected, "every attempt of delivery 1 carried its id");
}

#[tokio::test]
async fn a_hung_attempt_times_out_and_the_retry_after_release_is_delivered_once() {
    let sandbox = strict_sandbox().await;
    let client = client(&sandbox);
    let generated = AdmOrderGenerator::new(24).next_order();
    sandbox.register_order(&generated.id, &generated.line_refs());
    let mut order = order(&generated);
    let shipment = ship_all(&mut order, "1ZHANG");
    sandbox.faults().hang();
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { .. }),
        "hung: {outcome:?}"
    );
    // The client gave up: the server drops the held request once it sees the connection go.
    wait_for_held(sandbox.faults(), 0).await;
    sandbox.faults().release();
    let outcome = client
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(matches!(outcome, Outcome::Delivered { .. }), "{outcome:?}");
    assert_eq!(sandbox.accepted_count(), 1);
    let log = sandbox.requests();
    assert_eq!(log.len(), 2);
    assert!(log[0].hung && log[0].status.is_none(), "{:?}", log[0]);
    assert_eq!(log[0].idempotency_key, log[1].idempotency_key);
}

#[tokio::test]
async fn an_order_adm_does_not_know_is_rejected_for_good() {
    let sandbox = strict_sandbox().await;
    let mut order = order(&AdmOrderGenerator::new(23).next_order());
    let shipment = ship_all(&mut order, "1ZUNKNOWN");
    let outcome = client(&sandbox)
        .send_fulfillment(&order, &shipment, delivery(1))
        .await;
    assert!(matches!(outcome, Outcome::Rejected { .. }), "{outcome:?}");
}

//! Confirm and the whole-order fulfil call: paths, and the fulfil body built from the order's
//! full state (every line, one shipment per fulfillment, cancellations with FeedAMP's reasons).

use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, Order,
};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, Marketplace, Outcome, RefundSupport,
};
use orderbridge_domain::values::{
    CancellationId, Carrier, FulfillmentId, Quantity, Sku, TrackingNumber, TrackingUrl,
};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{at, client, config, count, event, key, order, order_path, token_route};

fn units(lines: &[(&str, u32)]) -> Vec<(Sku, Quantity)> {
    lines
        .iter()
        .map(|(sku, n)| {
            (
                Sku::parse(sku).unwrap_or_else(|e| panic!("{e}")),
                Quantity::new(*n).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect()
}

fn ship(
    order: &mut Order,
    n: u128,
    tracking: &str,
    carrier: Option<&str>,
    url: Option<&str>,
    shipped_at: &str,
    lines: &[(&str, u32)],
) {
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap_or_else(|e| panic!("{e}")),
        carrier: carrier.map(|c| Carrier::parse(c).unwrap_or_else(|e| panic!("{e}"))),
        tracking_url: url.map(|u| TrackingUrl::parse(u).unwrap_or_else(|e| panic!("{e}"))),
        lines: units(lines),
        shipped_at: Some(at(shipped_at)),
    };
    order
        .fulfil(
            &request,
            FulfillmentId::from_uuid(Uuid::from_u128(n)),
            event(n),
            at(shipped_at),
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

fn cancel(order: &mut Order, n: u128, reason: CancelReason, lines: &[(&str, u32)]) {
    let request = CancellationRequest {
        reason,
        scope: CancelScope::Lines(units(lines)),
        note: None,
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(Uuid::from_u128(n)),
            event(n),
            at("2024-06-16T12:00:00Z"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Two lines shipped in three packages, line 2 partly cancelled: complete.
fn shipped_order() -> Order {
    let mut order = order(&[
        ("40127348123641", "SKU-A", 3),
        ("40127348123642", "SKU-B", 3),
    ]);
    ship(
        &mut order,
        10,
        "1Z0000000000000001",
        Some("UPS"),
        Some("https://www.ups.com/track?tracknum=1Z0000000000000001"),
        "2024-06-15T10:30:00Z",
        &[("SKU-A", 2)],
    );
    ship(
        &mut order,
        11,
        "748900000002",
        Some("FedEx"),
        None,
        "2024-06-15T14:00:00Z",
        &[("SKU-A", 1), ("SKU-B", 1)],
    );
    ship(
        &mut order,
        12,
        "9400100000000000000003",
        Some("USPS"),
        None,
        "2024-06-16T08:15:30Z",
        &[("SKU-B", 1)],
    );
    cancel(&mut order, 20, CancelReason::OutOfStock, &[("SKU-B", 1)]);
    assert!(order.is_complete());
    order
}

fn expected_body() -> Value {
    json!({"order_lines": [
        {
            "mp_line_number": "40127348123641",
            "fulfillments": [
                {"quantity_shipped": 2, "shipped_date": "2024-06-15T10:30:00Z", "carrier": "UPS",
                 "tracking_number": "1Z0000000000000001",
                 "tracking_url": "https://www.ups.com/track?tracknum=1Z0000000000000001"},
                {"quantity_shipped": 1, "shipped_date": "2024-06-15T14:00:00Z", "carrier": "FedEx",
                 "tracking_number": "748900000002"}
            ],
            "cancellations": []
        },
        {
            "mp_line_number": "40127348123642",
            "fulfillments": [
                {"quantity_shipped": 1, "shipped_date": "2024-06-15T14:00:00Z", "carrier": "FedEx",
                 "tracking_number": "748900000002"},
                {"quantity_shipped": 1, "shipped_date": "2024-06-16T08:15:30Z", "carrier": "USPS",
                 "tracking_number": "9400100000000000000003"}
            ],
            "cancellations": [{"quantity_cancelled": 1, "cancellation_reason": "out_of_stock"}]
        }
    ]})
}

#[tokio::test]
async fn the_capabilities_are_feedamp_v1s() {
    let server = MockServer::start().await;
    assert_eq!(
        client(config(&server)).capabilities(),
        Capabilities {
            confirms_orders: true,
            fulfillment: FulfillmentMode::WholeOrder,
            cancellations: CancellationSupport::InWholeOrderFulfillment,
            refunds: RefundSupport::PerLine,
            requires_carrier: true,
        }
    );
    let with_default = client(config(&server).with_default_carrier("USPS")).capabilities();
    assert!(
        !with_default.requires_carrier,
        "a default carrier fills the gap at send time"
    );
}

#[tokio::test]
async fn confirm_puts_to_the_orders_confirm_path_without_a_body() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .and(path(order_path("confirm")))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"order": {"id": "109872189273617283", "cp_order_number": "1234", "state": "PLACED"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(config(&server))
        .confirm(&order(&[("1", "SKU-A", 1)]), key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            remote_ref: Some("1234".to_owned())
        }
    );
}

#[tokio::test]
async fn the_fulfil_body_holds_every_line_with_its_shipments_and_cancellations() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .and(path(order_path("fulfill")))
        .and(header("content-type", "application/json"))
        .and(body_json(expected_body()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "109872189273617283"})))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(config(&server));
    let order = shipped_order();
    assert_eq!(
        client.send_order_fulfillment(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
    // A retry sends the same full state.
    assert_eq!(
        client.send_order_fulfillment(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let bodies: Vec<&[u8]> = requests
        .iter()
        .filter(|r| r.url.path() == order_path("fulfill"))
        .map(|r| r.body.as_slice())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    let text = String::from_utf8_lossy(bodies[0]);
    assert!(
        text.starts_with(r#"{"order_lines":[{"mp_line_number":"40127348123641","fulfillments":[{"quantity_shipped":2,"shipped_date":"2024-06-15T10:30:00Z","carrier":"UPS""#),
        "{text}"
    );
}

#[tokio::test]
async fn a_line_without_a_feedamp_number_goes_by_its_position_and_a_missing_carrier_takes_the_default()
 {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .and(path(order_path("fulfill")))
        .and(body_json(json!({"order_lines": [
            {"mp_line_number": "1", "fulfillments": [], "cancellations": [
                {"quantity_cancelled": 1, "cancellation_reason": "other"}]},
            {"mp_line_number": "2", "fulfillments": [
                {"quantity_shipped": 1, "shipped_date": "2024-06-15T10:30:00Z",
                 "carrier": "Royal Mail", "tracking_number": "RM1"}], "cancellations": []}
        ]})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut order = order(&[("", "SKU-A", 1), ("", "SKU-B", 1)]);
    ship(
        &mut order,
        10,
        "RM1",
        None,
        None,
        "2024-06-15T10:30:00Z",
        &[("SKU-B", 1)],
    );
    cancel(&mut order, 20, CancelReason::Fraud, &[("SKU-A", 1)]);
    let client = client(config(&server).with_default_carrier("Royal Mail"));
    assert_eq!(
        client.send_order_fulfillment(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
}

#[tokio::test]
async fn a_shipment_without_any_carrier_is_parked_without_calling_feedamp() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    let mut order = order(&[("1", "SKU-A", 1)]);
    ship(
        &mut order,
        10,
        "NOCARRIER1",
        None,
        None,
        "2024-06-15T10:30:00Z",
        &[("SKU-A", 1)],
    );
    let outcome = client(config(&server))
        .send_order_fulfillment(&order, key())
        .await;
    assert!(
        matches!(&outcome, Outcome::Rejected { reason } if reason.contains("NOCARRIER1") && reason.contains("default_carrier")),
        "{outcome:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        0
    );
    assert_eq!(count(&server, &order_path("fulfill")).await, 0);
}

#[tokio::test]
async fn an_order_id_is_one_path_segment() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/orders/A%2FB%20C/confirm"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let new_id = orderbridge_domain::values::ExternalOrderId::parse("A/B C")
        .unwrap_or_else(|e| panic!("{e}"));
    let record = order(&[("1", "SKU-A", 1)]).to_record();
    let order = Order::restore(orderbridge_domain::order::OrderRecord {
        external_id: new_id,
        ..record
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let outcome = client(config(&server)).confirm(&order, key()).await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
}

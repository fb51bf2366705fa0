//! Shared helpers of the client tests: orders and shipments built through the domain, and a
//! client pointed at a wiremock ADM.

use chrono::{DateTime, Utc};
use orderbridge_adm::webhook::{WebhookSettings, parse_order};
use orderbridge_adm::{AdmClient, AdmConfig, Secret};
use orderbridge_domain::order::{Fulfillment, FulfillmentRequest, Order};
use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::values::{
    ChannelId, Currency, DeliveryId, EventId, FulfillmentId, OrderId, Quantity, Sku,
    TrackingNumber, TrackingUrl,
};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "adm-test-key-4f9a";
pub const TRACKING: &str = "1ZE356F8YW01937117";
const SEED: &str = include_str!("../fixtures/orders_create.json");

/// The delivery id the tests send as the idempotency key.
pub fn key() -> DeliveryId {
    DeliveryId::from_uuid(Uuid::from_u128(0x0190_f00d))
}

pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap_or_default()
}

/// An order parsed from a webhook body with lines of `(sku, quantity)` and id `id`.
pub fn order(id: &Value, lines: &[(&str, u32)]) -> Order {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity, "price": "1.00"}))
        .collect();
    let body = json!({"id": id, "line_items": items}).to_string();
    let settings = WebhookSettings {
        channel: ChannelId::parse("adm").unwrap_or_else(|e| panic!("{e}")),
        currency: Currency::USD,
    };
    let new = parse_order(body.as_bytes(), &settings, now()).unwrap_or_else(|e| panic!("{e}"));
    Order::create(
        new,
        OrderId::from_uuid(Uuid::from_u128(1)),
        EventId::from_uuid(Uuid::from_u128(2)),
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Ships `lines` of `order` under [`TRACKING`], with `url` if given.
pub fn ship(order: &mut Order, lines: &[(&str, u32)], url: Option<&str>) -> Fulfillment {
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(TRACKING).unwrap_or_else(|e| panic!("{e}")),
        carrier: None,
        tracking_url: url.map(|u| TrackingUrl::parse(u).unwrap_or_else(|e| panic!("{e}"))),
        lines: lines
            .iter()
            .map(|(sku, quantity)| {
                (
                    Sku::parse(sku).unwrap_or_else(|e| panic!("{e}")),
                    Quantity::new(*quantity).unwrap_or_else(|e| panic!("{e}")),
                )
            })
            .collect(),
        shipped_at: None,
    };
    let id = FulfillmentId::from_uuid(Uuid::from_u128(10));
    order
        .fulfil(&request, id, EventId::from_uuid(Uuid::from_u128(11)), now())
        .unwrap_or_else(|e| panic!("{e}"));
    order
        .fulfillment(id)
        .cloned()
        .unwrap_or_else(|| panic!("no fulfillment"))
}

/// The seed order (two lines of ABC-123 x2) with 3 units shipped.
pub fn seed_shipment() -> (Order, Fulfillment) {
    let settings = WebhookSettings {
        channel: ChannelId::parse("adm").unwrap_or_else(|e| panic!("{e}")),
        currency: Currency::USD,
    };
    let new = parse_order(SEED.as_bytes(), &settings, now()).unwrap_or_else(|e| panic!("{e}"));
    let mut order = Order::create(
        new,
        OrderId::from_uuid(Uuid::from_u128(1)),
        EventId::from_uuid(Uuid::from_u128(2)),
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let fulfillment = ship(&mut order, &[("ABC-123", 3)], None);
    (order, fulfillment)
}

pub fn config(server: &MockServer) -> AdmConfig {
    AdmConfig::new(server.uri(), Secret::new(KEY))
}

pub fn client(config: AdmConfig) -> AdmClient {
    AdmClient::new(config).unwrap_or_else(|e| panic!("{e}"))
}

/// Sends the seed shipment to a server answering `response` to every POST.
pub async fn outcome_for(response: ResponseTemplate) -> Outcome {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fulfillments"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await
}

pub fn adm_error(error: &str, message: &str) -> Value {
    json!({"error": error, "message": message})
}

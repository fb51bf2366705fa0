//! Shared helpers: a wiremock FeedAMP with a token route, clients pointed at it, and FeedAMP
//! orders built through the domain.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewLine, NewOrder, Order, Totals};
use orderbridge_domain::values::{
    ChannelId, Currency, DeliveryId, EventId, ExternalOrderId, OrderId, Quantity, Sku,
};
use orderbridge_feedamp::{FeedampClient, FeedampConfig, Secret};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const USER: &str = "seller@example.com";
pub const PASSWORD: &str = "pa55-w0rd-9c1f";
pub const CLIENT_ID: &str = "4711";
pub const TOKEN_PATH: &str = "/api/v1/get_token";
pub const ORDER_ID: &str = "109872189273617283";

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub fn channel() -> ChannelId {
    ChannelId::parse("feedamp").unwrap_or_else(|e| panic!("{e}"))
}

/// Settings for `server` with a 1 ms spacing, so that tests not about the rate run fast.
pub fn config(server: &MockServer) -> FeedampConfig {
    FeedampConfig::new(
        channel(),
        server.uri(),
        USER,
        Secret::new(PASSWORD),
        CLIENT_ID,
    )
    .with_min_interval(Duration::from_millis(1))
}

pub fn client(config: FeedampConfig) -> FeedampClient {
    FeedampClient::new(config).unwrap_or_else(|e| panic!("{e}"))
}

/// Answers every token call with `token`.
pub async fn token_route(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "token": token })))
        .mount(server)
        .await;
}

/// How many requests `server` received on `route`.
pub async fn count(server: &MockServer, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == route)
        .count()
}

/// `/api/v1/orders/<ORDER_ID>/<action>`.
pub fn order_path(action: &str) -> String {
    format!("/api/v1/orders/{ORDER_ID}/{action}")
}

/// A FeedAMP order as orderbridge stores it: lines of `(mp_line_number, sku, quantity)`.
pub fn order(lines: &[(&str, &str, u32)]) -> Order {
    let new = NewOrder {
        channel: channel(),
        external_id: ExternalOrderId::parse(ORDER_ID).unwrap_or_else(|e| panic!("{e}")),
        currency: Currency::USD,
        placed_at: at("2024-06-14T09:00:00Z"),
        deliver_by: None,
        email: None,
        shipping_address: None,
        shipping_service: None,
        totals: Totals {
            total: Some(dec("500")),
            ..Totals::default()
        },
        lines: lines
            .iter()
            .map(|(mp, sku, quantity)| NewLine {
                sku: Sku::parse(sku).unwrap_or_else(|e| panic!("{e}")),
                quantity: Quantity::new(*quantity).unwrap_or_else(|e| panic!("{e}")),
                unit_price: dec("19.99"),
                total_discount: Decimal::ZERO,
                total_tax: Decimal::ZERO,
                external_line_id: (!mp.is_empty()).then(|| (*mp).to_owned()),
                title: None,
            })
            .collect(),
        raw_payload: None,
        flags: Vec::new(),
    };
    Order::create(
        new,
        OrderId::from_uuid(Uuid::from_u128(1)),
        event(1),
        at("2024-06-14T09:01:00Z"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The delivery id the tests send as the idempotency key.
pub fn key() -> DeliveryId {
    DeliveryId::from_uuid(Uuid::from_u128(0xfeed_0001))
}

pub fn event(n: u128) -> EventId {
    EventId::from_uuid(Uuid::from_u128(1000 + n))
}

/// A v1 order of the new-orders feed with one line.
pub fn v1_order(id: &str) -> Value {
    json!({
        "id": id,
        "state": "ORDERED",
        "marketplace_state": "AWAITING_SHIPMENT",
        "integration_name": "amazon",
        "paused": 0,
        "acknowledged": 0,
        "order_info": {
            "purchase_date": "2018-05-01T23:52:01.000Z",
            "currency": "USD",
            "order_lines": [
                {"mp_line_number": "1", "sku": "SKU-1", "quantity": 1, "unit_price": 9.5}
            ]
        }
    })
}

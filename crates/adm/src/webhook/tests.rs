//! Tests of the webhook parser and response bodies, starting from seed 001's own example.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewOrder, Order};
use orderbridge_domain::values::{ChannelId, Currency, EventId, OrderId};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::webhook::{
    ALREADY_CREATED, INVALID_ORDER, MALFORMED_JSON, SERVER_ERROR, UNAUTHORIZED, WebhookRejection,
    WebhookSettings, created_body, parse_order,
};

mod fields;
mod lines;
mod tolerance;

/// The `orders/create` example of seed 001, verbatim.
pub(super) const SEED: &str = include_str!("../../tests/fixtures/orders_create.json");
/// The `Order` resource example of seed 001 (with `fulfillments`, `refunds`, `cancel_reason`).
const RESOURCE: &str = include_str!("../../tests/fixtures/order_resource.json");

pub(super) fn settings() -> WebhookSettings {
    WebhookSettings {
        channel: ChannelId::parse("adm").unwrap_or_else(|e| panic!("{e}")),
        currency: Currency::USD,
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub(super) fn received() -> DateTime<Utc> {
    at("2024-01-02T03:04:05Z")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn parse(body: &str) -> Result<NewOrder, WebhookRejection> {
    parse_order(body.as_bytes(), &settings(), received())
}

fn parsed(body: &str) -> NewOrder {
    parse(body).unwrap_or_else(|r| panic!("rejected: {r}"))
}

fn rejected(body: &str) -> WebhookRejection {
    match parse(body) {
        Ok(order) => panic!("accepted: {order:?}"),
        Err(rejection) => rejection,
    }
}

/// The seed payload with one change made to its JSON.
fn seed_with(change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(SEED).unwrap_or_else(|e| panic!("{e}"));
    change(&mut value);
    value.to_string()
}

/// Sets `pointer` (a JSON pointer such as `/line_items/1/quantity`) in the seed payload.
/// A field missing from the seed is added to its parent object.
fn seed_setting(pointer: &str, new: Value) -> String {
    seed_with(|value| {
        if let Some(slot) = value.pointer_mut(pointer) {
            *slot = new;
            return;
        }
        let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        match value.pointer_mut(parent).and_then(Value::as_object_mut) {
            Some(map) => {
                map.insert(field.to_owned(), new);
            }
            None => panic!("no {parent} in the seed"),
        }
    })
}

/// Removes a field of the seed payload: `parent` is a JSON pointer ("" for the top level).
fn seed_without(parent: &str, field: &str) -> String {
    seed_with(|value| {
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.remove(field);
        }
    })
}

/// The body is refused with `title`, and the message names `field`.
fn assert_refused(body: &str, title: &str, field: &str) {
    let rejection = rejected(body);
    assert_eq!(rejection.error, title, "{rejection:?}");
    assert!(
        rejection.message.contains(field),
        "{:?} does not name {field}",
        rejection.message
    );
}

fn order_from(new: NewOrder) -> Order {
    Order::create(
        new,
        OrderId::from_uuid(Uuid::from_u128(1)),
        EventId::from_uuid(Uuid::from_u128(2)),
        received(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_seed_payload_parses_to_two_lines_of_abc_123_with_exact_prices() {
    let order = parsed(SEED);
    assert_eq!(order.external_id.as_str(), "987654321");
    assert_eq!(order.channel.as_str(), "adm");
    assert_eq!(order.currency, Currency::USD);
    assert_eq!(order.lines.len(), 2);
    let prices: Vec<Decimal> = order.lines.iter().map(|l| l.unit_price).collect();
    assert_eq!(prices, [dec("12.34"), dec("43.21")]);
    for line in &order.lines {
        assert_eq!(line.sku.as_str(), "ABC-123");
        assert_eq!(line.quantity.get(), 2);
        assert_eq!(line.unit_price.scale(), 2);
    }
    assert_eq!(order.lines[0].total_discount, dec("2.34"));
    assert_eq!(order.lines[0].total_tax, dec("0.65"));
    assert_eq!(order.lines[1].total_discount, dec("3.21"));
    assert_eq!(order.lines[1].total_tax, dec("3.65"));
    assert_eq!(order.totals.total, Some(dec("85.97")));
    assert_eq!(order.totals.subtotal, Some(dec("79.98")));
    assert_eq!(order.totals.discounts, Some(dec("5.00")));
    assert_eq!(order.totals.shipping, Some(dec("10.99")));
    assert_eq!(order.totals.tax, Some(dec("0.00")));
    assert_eq!(order.placed_at, at("2023-12-20T10:15:30Z"));
    assert_eq!(order.deliver_by, Some(at("2023-12-27T00:00:00Z")));
    assert_eq!(
        order.email.as_ref().map(|e| e.as_str()),
        Some("customer@example.com")
    );
    assert_eq!(order.shipping_service.as_deref(), Some("Standard Ground"));
    assert_eq!(order.raw_payload.as_deref(), Some(SEED));
}

#[test]
fn the_seed_shipping_address_keeps_every_field_and_the_codes() {
    let order = parsed(SEED);
    let address = order.shipping_address.unwrap_or_default();
    assert_eq!(address.first_name.as_deref(), Some("Jane"));
    assert_eq!(address.last_name.as_deref(), Some("Doe"));
    assert_eq!(address.address1.as_deref(), Some("123 Main Street"));
    assert_eq!(address.address2, None);
    assert_eq!(address.company, None);
    assert_eq!(address.city.as_deref(), Some("Anytown"));
    assert_eq!(address.province.as_deref(), Some("CA"));
    assert_eq!(address.zip.as_deref(), Some("12345"));
    assert_eq!(address.phone.as_deref(), Some("(123) 456-7890"));
    assert_eq!(
        address.country_code.map(|c| c.to_string()),
        Some("US".into())
    );
    assert_eq!(address.country_name, None);
}

#[test]
fn the_order_resource_example_with_fulfillments_refunds_and_cancel_reason_parses() {
    let order = parsed(RESOURCE);
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.totals.total, Some(dec("85.97")));
}

#[test]
fn fulfillments_refunds_cancel_reason_and_unknown_fields_are_ignored_whatever_their_type() {
    let body = seed_with(|value| {
        value["fulfillments"] = json!("not even an array");
        value["refunds"] = json!({"weird": true});
        value["cancel_reason"] = json!(42);
        value["brand_new_field"] = json!([1, 2, {"x": null}]);
        value["line_items"][0]["vendor"] = json!("ACME");
        value["shipping_address"]["latitude"] = json!(12.5);
    });
    assert_eq!(parsed(&body).lines.len(), 2);
}

#[test]
fn a_body_that_is_not_json_is_malformed_with_line_and_column() {
    let truncated = SEED.get(..SEED.len() / 2).unwrap_or_default();
    for body in [truncated, "", "{", "{\"id\": \"1\",}", "not json", "{} {}"] {
        let rejection = rejected(body);
        assert_eq!(rejection.error, MALFORMED_JSON, "{body:?}: {rejection:?}");
        assert!(
            rejection.message.contains("line") && rejection.message.contains("column"),
            "{rejection:?}"
        );
    }
}

#[test]
fn a_body_that_is_not_utf8_is_malformed() {
    let rejection = parse_order(b"{\"id\": \"\xc3\x28\"}", &settings(), received());
    assert_eq!(
        rejection.map_err(|r| r.error),
        Err(MALFORMED_JSON),
        "invalid UTF-8 must be refused"
    );
}

#[test]
fn a_json_value_that_is_not_an_object_is_refused() {
    for body in ["[]", "\"order\"", "null", "42"] {
        let rejection = rejected(body);
        assert_eq!(rejection.error, INVALID_ORDER, "{body}");
        assert!(
            rejection
                .message
                .starts_with("the body must be an object, found "),
            "{rejection:?}"
        );
    }
}

#[test]
fn the_created_body_lists_every_line_and_the_id_as_an_integer() {
    let body = created_body(&order_from(parsed(SEED)));
    assert_eq!(
        body,
        json!({
            "line_items": [
                {"quantity": 2, "sku": "ABC-123"},
                {"quantity": 2, "sku": "ABC-123"},
            ],
            "order_id": 987_654_321,
            "status": "created",
        })
    );
    assert_eq!(
        body.to_string(),
        r#"{"line_items":[{"quantity":2,"sku":"ABC-123"},{"quantity":2,"sku":"ABC-123"}],"order_id":987654321,"status":"created"}"#
    );
}

#[test]
fn the_created_body_echoes_a_non_numeric_id_as_a_string() {
    for id in ["A-1", "123456789012345678901234"] {
        let order = order_from(parsed(&seed_setting("/id", json!(id))));
        assert_eq!(created_body(&order)["order_id"], json!(id));
    }
}

#[test]
fn the_fixed_error_bodies_are_the_seeds_own_words() {
    assert_eq!(
        UNAUTHORIZED.body(),
        json!({"error": "Unauthorized Request", "message": "The key provided is invalid."})
    );
    assert_eq!(
        ALREADY_CREATED.body(),
        json!({
            "error": "Order Already Created",
            "message": "The specified order was already created."
        })
    );
    assert_eq!(
        SERVER_ERROR.body(),
        json!({
            "error": "Server Error",
            "message": "An error occurred on our server. Please try again later."
        })
    );
}

#[test]
fn a_rejection_body_has_error_and_message() {
    let rejection = rejected(&seed_without("", "line_items"));
    assert_eq!(
        rejection.body(),
        json!({"error": "Invalid SKU or Quantity", "message": "line_items is required"})
    );
}

//! Design section 12 on the warehouse API and the ADM webhook: control characters in what the
//! warehouse sends are refused with a 400 naming the field (tab and newline allowed in notes);
//! requests and orders are capped with 400s and 409s naming what is over; what ADM sends is
//! stored with its control characters removed.

use axum::http::StatusCode;
use orderbridge_domain::order::Order;
use serde_json::{Value, json};

use crate::support::{
    SEED_ORDER, WAREHOUSE_KEY, app, assert_error, call, get, json_request, post_order, stored_order,
};

const DIRTY: &str = "a\u{0}b";

async fn post(app: &axum::Router, path: &str, body: &Value) -> crate::support::Reply {
    call(
        app,
        json_request("POST", path, Some(WAREHOUSE_KEY), &body.to_string()),
    )
    .await
}

/// A 400 whose message starts with `field`.
fn assert_names(reply: &crate::support::Reply, field: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{field}: {}",
        reply.text
    );
    let message = reply.json["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(field),
        "the message names {field}: {message}"
    );
}

#[tokio::test]
async fn control_characters_from_the_warehouse_are_refused_naming_the_field() {
    let app = app();
    let order = stored_order(&app, "H-1").await;
    let ship = |change: fn(&mut Value)| {
        let mut body = json!({"tracking_number": "1Z1", "carrier": "UPS",
            "tracking_url": "https://t.example/1Z1",
            "line_items": [{"sku": "ABC-123", "quantity": 1}]});
        change(&mut body);
        body
    };
    let fulfillments = format!("/v1/orders/{order}/fulfillments");
    for (field, body) in [
        (
            "tracking_number",
            ship(|b| b["tracking_number"] = json!("1Z\u{0}1")),
        ),
        ("carrier", ship(|b| b["carrier"] = json!("U\u{1b}PS"))),
        (
            "tracking_url",
            ship(|b| b["tracking_url"] = json!("https://t.example/\u{0}")),
        ),
        (
            "line_items[0].sku",
            ship(|b| b["line_items"][0]["sku"] = json!("ABC\u{0}-123")),
        ),
    ] {
        assert_names(&post(&app, &fulfillments, &body).await, field);
    }
    let cancellations = format!("/v1/orders/{order}/cancellations");
    let body = json!({"reason": "customer", "note": DIRTY});
    assert_names(&post(&app, &cancellations, &body).await, "note");
    let body = json!({"reason": "customer", "note": "a\r\nb"});
    assert_names(&post(&app, &cancellations, &body).await, "note");
    let refunds = format!("/v1/orders/{order}/refunds");
    let line = json!([{"line": 1, "quantity": 0, "amount": "1.00"}]);
    let body = json!({"reason": "customer_return", "reference": DIRTY, "lines": line});
    assert_names(&post(&app, &refunds, &body).await, "reference");
    let body = json!({"reason": "customer_return", "note": "x\u{7f}", "lines": line});
    assert_names(&post(&app, &refunds, &body).await, "note");
    let resolve = "/v1/deliveries/00000000-0000-7000-8000-000000000001/resolve";
    assert_names(&post(&app, resolve, &json!({"note": DIRTY})).await, "note");
    let body = json!({"note": "done", "by": "ops\u{0}"});
    assert_names(&post(&app, resolve, &body).await, "by");
    let pause = "/v1/channels/adm/pause";
    assert_names(&post(&app, pause, &json!({"note": DIRTY})).await, "note");
    let detail = call(
        &app,
        get(&format!("/v1/orders/{order}"), Some(WAREHOUSE_KEY)),
    )
    .await;
    assert!(detail.json["fulfillments"].as_array().unwrap().is_empty());
    assert!(detail.json["cancellations"].as_array().unwrap().is_empty());
    assert!(detail.json["refunds"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_note_keeps_its_tabs_and_line_breaks_and_is_capped() {
    let app = app();
    let order = stored_order(&app, "H-2").await;
    let cancellations = format!("/v1/orders/{order}/cancellations");
    let body = json!({"reason": "customer", "note": " line one\n\tline two ",
        "line_items": [{"sku": "ABC-123", "quantity": 1}]});
    let reply = post(&app, &cancellations, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["cancellation"]["note"], "line one\n\tline two");
    let long = "x".repeat(Order::NOTE.max() + 1);
    let body = json!({"reason": "customer", "note": long});
    let reply = post(&app, &cancellations, &body).await;
    assert_names(&reply, "note");
    assert_eq!(reply.json["message"], "note: at most 2000 characters");
}

#[tokio::test]
async fn a_request_holds_at_most_as_many_entries_as_an_order_has_lines() {
    let app = app();
    let order = stored_order(&app, "H-3").await;
    let items: Vec<Value> = (0..=Order::MAX_LINES)
        .map(|i| json!({"sku": format!("S-{i}"), "quantity": 1}))
        .collect();
    let body = json!({"tracking_number": "1Z9", "line_items": items});
    let reply = post(&app, &format!("/v1/orders/{order}/fulfillments"), &body).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
    assert_eq!(reply.json["message"], "line_items: at most 1000 entries");
    let body = json!({"reason": "customer", "line_items": items});
    let reply = post(&app, &format!("/v1/orders/{order}/cancellations"), &body).await;
    assert_names(&reply, "line_items");
    let lines: Vec<Value> = (1..=Order::MAX_LINES + 1)
        .map(|i| json!({"line": i, "amount": "0.01"}))
        .collect();
    let body = json!({"reason": "customer_return", "lines": lines});
    let reply = post(&app, &format!("/v1/orders/{order}/refunds"), &body).await;
    assert_names(&reply, "lines");
}

#[tokio::test]
async fn an_order_takes_at_most_max_children_fulfillments_then_answers_409() {
    let app = app();
    let body = SEED_ORDER
        .replace("987654321", "H-4")
        .replace("\"quantity\": 2", "\"quantity\": 600");
    assert_eq!(post_order(&app, &body).await.status, StatusCode::OK);
    let list = call(&app, get("/v1/orders?limit=10", Some(WAREHOUSE_KEY))).await;
    let order = list.json["orders"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/orders/{order}/fulfillments");
    for i in 0..Order::MAX_CHILDREN {
        let body = json!({"tracking_number": format!("T-{i}"),
            "line_items": [{"sku": "ABC-123", "quantity": 1}]});
        let reply = post(&app, &path, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{i}: {}", reply.text);
    }
    let body = json!({"tracking_number": "T-LAST",
        "line_items": [{"sku": "ABC-123", "quantity": 1}]});
    let reply = post(&app, &path, &body).await;
    assert_error(&reply, StatusCode::CONFLICT, "Too Many Children");
    assert_eq!(
        reply.json["message"],
        "fulfillments: the order already has 500 fulfillments, the most one order may have"
    );
}

#[tokio::test]
async fn adm_text_with_control_characters_is_stored_clean_and_too_many_lines_are_refused() {
    let app = app();
    let mut body: Value = serde_json::from_str(SEED_ORDER).unwrap();
    body["id"] = json!("H-5");
    body["shipping_service"] = json!("Standard\u{0} Ground\u{1b}");
    body["shipping_address"]["address1"] = json!("123\u{0} Main\nStreet");
    body["line_items"][0]["title"] = json!("Mug\u{7}");
    let reply = post_order(&app, &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let list = call(&app, get("/v1/orders?limit=10", Some(WAREHOUSE_KEY))).await;
    let order = list.json["orders"][0]["id"].as_str().unwrap().to_owned();
    let detail = call(
        &app,
        get(&format!("/v1/orders/{order}"), Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(detail.json["shipping_service"], "Standard Ground");
    assert_eq!(
        detail.json["shipping_address"]["address1"],
        "123 Main Street"
    );
    assert_eq!(detail.json["lines"][0]["title"], "Mug");

    let line = body["line_items"][0].clone();
    body["id"] = json!("H-6");
    body["line_items"] = Value::Array(vec![line; Order::MAX_LINES + 1]);
    let reply = post_order(&app, &body.to_string()).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .starts_with("line_items"),
        "{}",
        reply.text
    );
}

//! Design section 11 through the HTTP API: ADM orders malformed in a field that only informs
//! are stored (200 in seed 001's shape) and the warehouse sees their flags in the list, the
//! detail and the `received` history entry; what still refuses an order keeps the seed's 400.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{SEED_ORDER, WAREHOUSE_KEY, app, assert_error, call, get, post_order};

/// A change made to the seed order.
type Change = fn(&mut Value);

/// The seed order with the id `id` and one change.
fn seed(id: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(SEED_ORDER).unwrap();
    value["id"] = json!(id);
    change(&mut value);
    value.to_string()
}

#[tokio::test]
async fn tolerated_orders_are_stored_and_the_warehouse_sees_their_flags() {
    let app = app();
    let cases: [(&str, Change, Value); 6] = [
        (
            "T-1",
            |v| v["email"] = json!("jane at example"),
            json!(["email_unreadable"]),
        ),
        (
            "T-2",
            |v| v["shipping_address"]["country_code"] = json!("Atlantis"),
            json!(["country_unknown"]),
        ),
        ("T-3", |v| v["deliver_by"] = json!("2023-12-27"), json!([])),
        (
            "T-4",
            |v| {
                v["created_at"] = json!("last Tuesday");
                v["deliver_by"] = json!("soon");
            },
            json!(["placed_at_unreadable", "deliver_by_unreadable"]),
        ),
        (
            "T-5",
            |v| v["line_items"][0]["quantity"] = json!("2"),
            json!([]),
        ),
        (
            "T-6",
            |v| v["shipping_address"] = json!("Jane Doe, 123 Main Street"),
            json!(["address_unreadable"]),
        ),
    ];
    for (id, change, _) in &cases {
        let reply = post_order(&app, &seed(id, change)).await;
        assert_eq!(reply.status, StatusCode::OK, "{id}: {}", reply.text);
        assert_eq!(reply.json["status"], "created", "{id}");
        assert_eq!(reply.json["order_id"], *id, "{id}");
    }
    let list = call(&app, get("/v1/orders?limit=50", Some(WAREHOUSE_KEY))).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let listed = list.json["orders"].as_array().unwrap();
    for (id, _, flags) in &cases {
        let order = listed
            .iter()
            .find(|o| o["external_id"] == *id)
            .unwrap_or_else(|| panic!("{id} not listed"));
        assert_eq!(order["flags"], *flags, "{id}");
        let detail = call(
            &app,
            get(
                &format!("/v1/orders/{}", order["id"].as_str().unwrap()),
                Some(WAREHOUSE_KEY),
            ),
        )
        .await;
        assert_eq!(detail.json["flags"], *flags, "{id}");
        let received = detail.json["history"][0]["detail"].as_str().unwrap();
        for flag in flags.as_array().unwrap() {
            assert!(received.contains(flag.as_str().unwrap()), "{received}");
        }
    }
    let dates = listed.iter().find(|o| o["external_id"] == "T-3").unwrap();
    assert_eq!(dates["deliver_by"], "2023-12-27T00:00:00Z");
    let unknown = listed.iter().find(|o| o["external_id"] == "T-2").unwrap();
    assert_eq!(unknown["shipping_address"]["country_code"], Value::Null);
    assert_eq!(unknown["shipping_address"]["country_name"], "Atlantis");
}

#[tokio::test]
async fn what_still_refuses_an_order_keeps_the_seeds_400_body() {
    let app = app();
    let cases: [(Change, &str, &str); 5] = [
        (
            |v| v["line_items"] = json!([]),
            "Invalid SKU or Quantity",
            "line_items must hold at least one line item",
        ),
        (
            |v| v["line_items"][1]["sku"] = Value::Null,
            "Invalid SKU or Quantity",
            "line_items[1].sku is required",
        ),
        (
            |v| v["line_items"][0]["quantity"] = json!("2.5"),
            "Invalid SKU or Quantity",
            "line_items[0].quantity must be an integer from 1 to 1000000",
        ),
        (
            |v| v["line_items"][0]["quantity"] = json!(-1),
            "Invalid SKU or Quantity",
            "line_items[0].quantity must be an integer from 1 to 1000000",
        ),
        (
            |v| v["line_items"][0]["price"] = json!("abc"),
            "Invalid Order",
            "line_items[0].price must be a decimal amount such as \"12.34\"",
        ),
    ];
    for (change, error, message) in cases {
        let reply = post_order(&app, &seed("R-1", change)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, error);
        assert_eq!(reply.json["message"], message);
    }
    let list = call(&app, get("/v1/orders", Some(WAREHOUSE_KEY))).await;
    assert_eq!(list.json["orders"], json!([]), "nothing stored");
}

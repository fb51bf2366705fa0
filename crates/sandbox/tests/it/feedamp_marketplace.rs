//! The fake FeedAMP playing the marketplace: an order it cancels reads `CANCELLED` and takes no
//! other fulfilment, one it pauses reads `paused: 1` and refuses fulfil calls until released,
//! over the control paths and the library alike; the control paths are not logged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::feedamp_support::{Api, error_of, feedamp, two_line_order};
use crate::support::{client, post};

fn whole_shipment() -> Value {
    let line = |number: &str, quantity: u64| {
        json!({"mp_line_number": number, "cancellations": [], "fulfillments": [{
            "quantity_shipped": quantity,
            "shipped_date": "2024-06-15T10:30:00Z",
            "carrier": "UPS",
            "tracking_number": format!("1Z-{number}"),
        }]})
    };
    json!({"order_lines": [line("1", 2), line("2", 1)]})
}

async fn one(api: &Api, id: &str) -> Value {
    let reply = api.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["order"][0].clone()
}

#[tokio::test]
async fn an_order_the_marketplace_cancels_reads_cancelled_and_takes_no_other_fulfilment() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    api.confirm(&id).await;
    let http = client();
    let base = sandbox.base_url();
    let cancelled = post(
        &http,
        &format!("{base}/_sandbox/orders/{id}/cancel"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.json["order"]["state"], "CANCELLED");
    let order = one(&api, &id).await;
    assert_eq!(
        (
            &order["state"],
            &order["marketplace_state"],
            &order["paused"]
        ),
        (&json!("CANCELLED"), &json!("CANCELLED"), &json!(0))
    );
    let refused = api.fulfil(&id, &whole_shipment()).await;
    assert!(error_of(&refused, 400).contains("rejects further fulfilment updates"));
    assert!(sandbox.fulfil_calls(&id).is_empty());
    let unknown = post(
        &http,
        &format!("{base}/_sandbox/orders/999999999999999999/cancel"),
        None,
        &json!({}),
    )
    .await;
    assert!(error_of(&unknown, 404).contains("not found"));
    assert!(!sandbox.cancel_order("999999999999999999"));
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/_sandbox")),
        "control paths are not logged"
    );
}

#[tokio::test]
async fn a_paused_order_refuses_fulfilment_until_it_is_released() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    assert_eq!(one(&api, &id).await["paused"], 0);
    let http = client();
    let base = sandbox.base_url();
    let paused = post(
        &http,
        &format!("{base}/_sandbox/orders/{id}/pause"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(paused.json["order"]["paused"], 1, "{}", paused.text);
    assert_eq!(one(&api, &id).await["paused"], 1);
    let refused = api.fulfil(&id, &whole_shipment()).await;
    assert!(error_of(&refused, 400).contains("is paused"));
    let summary = http
        .get(format!("{base}/_sandbox/orders"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(summary["orders"][0]["paused"], true);

    let released = post(
        &http,
        &format!("{base}/_sandbox/orders/{id}/release"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(released.json["order"]["paused"], 0, "{}", released.text);
    let accepted = api.fulfil(&id, &whole_shipment()).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(one(&api, &id).await["state"], "SHIPPED");

    // The same through the library.
    let other = sandbox.add_order(two_line_order()).unwrap();
    assert!(sandbox.pause_order(&other));
    assert_eq!(sandbox.order_json(&other).unwrap()["paused"], 1);
    assert!(sandbox.release_order(&other));
    assert_eq!(sandbox.order_json(&other).unwrap()["paused"], 0);
    assert!(sandbox.cancel_order(&other));
    assert_eq!(sandbox.order_json(&other).unwrap()["state"], "CANCELLED");
}

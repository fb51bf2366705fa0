//! Delivering to ADM (issue 5): the dispatcher, the ADM client and the sandbox ADM together, on
//! SQLite and on PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::store::Store;

use crate::harness::{Harness, WAREHOUSE_KEY, on_both_stores};

const PATIENCE: Duration = Duration::from_secs(20);

on_both_stores!(
    a_fulfillment_reaches_adm_exactly_once,
    after_three_server_errors_a_fulfillment_still_arrives_exactly_once,
    a_rejected_fulfillment_is_parked_with_adms_message_and_delivered_after_a_retry,
    one_hundred_fulfillments_over_ten_orders_each_arrive_once,
);

async fn a_fulfillment_reaches_adm_exactly_once(store: Arc<dyn Store>) {
    let h = Harness::start(store).await;
    let order = h.adm_order("1001", "ABC-123", 2).await;
    h.ship(&order, "1Z0001", "ABC-123", 2).await;
    assert!(h.adm.wait_for_accepted(1, PATIENCE).await, "delivered");
    // Give a wrong second send every chance to happen before counting.
    let delivered = h
        .eventually(PATIENCE, async || {
            let (_, body) = h
                .call("GET", &format!("/v1/orders/{order}"), WAREHOUSE_KEY, None)
                .await;
            body["fulfillments"][0]["delivery"]["state"] == "delivered"
        })
        .await;
    assert!(delivered);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = h.adm.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].order_id, "1001");
    assert_eq!(
        accepted[0].order_id_sent,
        serde_json::json!(1001),
        "all-digit ids go as integers"
    );
    assert_eq!(accepted[0].tracking_number, "1Z0001");
    assert_eq!(h.adm.duplicates(), 0);
    let (_, body) = h
        .call("GET", &format!("/v1/orders/{order}"), WAREHOUSE_KEY, None)
        .await;
    let kinds: Vec<&str> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["received", "fulfilled", "delivered"]);
    h.stop().await;
}

async fn after_three_server_errors_a_fulfillment_still_arrives_exactly_once(store: Arc<dyn Store>) {
    let h = Harness::start(store).await;
    let order = h.adm_order("1002", "ABC-123", 1).await;
    h.adm.faults().fail_next(3);
    h.ship(&order, "1Z0002", "ABC-123", 1).await;
    assert!(
        h.adm.wait_for_accepted(1, PATIENCE).await,
        "delivered after the errors"
    );
    // The outcome is committed after ADM's answer: wait for it rather than for a fixed time.
    let recorded = h
        .eventually(PATIENCE, async || {
            let (_, body) = h
                .call("GET", &format!("/v1/orders/{order}"), WAREHOUSE_KEY, None)
                .await;
            body["fulfillments"][0]["delivery"]["state"] == "delivered"
        })
        .await;
    assert!(recorded, "the delivery is recorded as delivered");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.adm.accepted().len(), 1);
    let statuses: Vec<Option<u16>> = h
        .adm
        .requests()
        .iter()
        .filter(|r| r.path == "/fulfillments")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(500), Some(200)]);
    let (_, body) = h
        .call("GET", &format!("/v1/orders/{order}"), WAREHOUSE_KEY, None)
        .await;
    let delivery = &body["fulfillments"][0]["delivery"];
    assert_eq!(
        (delivery["state"].as_str(), delivery["attempts"].as_u64()),
        (Some("delivered"), Some(4))
    );
    h.stop().await;
}

async fn a_rejected_fulfillment_is_parked_with_adms_message_and_delivered_after_a_retry(
    store: Arc<dyn Store>,
) {
    let h = Harness::start(store).await;
    let order = h.adm_order("1003", "ABC-123", 2).await;
    // ADM knows the order with one unit only: shipping two is refused with a 400.
    h.adm.register_order("1003", &[("ABC-123", 1)]);
    h.ship(&order, "1Z0003", "ABC-123", 2).await;
    let parked = h
        .eventually(PATIENCE, async || {
            let (_, body) = h
                .call("GET", "/v1/deliveries?state=dead", WAREHOUSE_KEY, None)
                .await;
            body["deliveries"].as_array().is_some_and(|d| d.len() == 1)
        })
        .await;
    assert!(parked, "parked as dead");
    let (_, dead) = h
        .call("GET", "/v1/deliveries?state=dead", WAREHOUSE_KEY, None)
        .await;
    let message = dead["deliveries"][0]["last_error"].as_str().unwrap();
    assert!(message.contains("Invalid SKU or Quantity"), "{message}");
    assert_eq!(h.adm.accepted_count(), 0);
    // The operator fixes things at ADM and retries through the API.
    h.adm.register_order("1003", &[("ABC-123", 2)]);
    let id = dead["deliveries"][0]["id"].as_str().unwrap();
    let (status, _) = h
        .call(
            "POST",
            &format!("/v1/deliveries/{id}/retry"),
            WAREHOUSE_KEY,
            None,
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    assert!(
        h.adm.wait_for_accepted(1, PATIENCE).await,
        "delivered after the retry"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.adm.accepted_count(), 1);
    let (_, dead) = h
        .call("GET", "/v1/deliveries?state=dead", WAREHOUSE_KEY, None)
        .await;
    assert_eq!(dead["deliveries"].as_array().unwrap().len(), 0);
    h.stop().await;
}

async fn one_hundred_fulfillments_over_ten_orders_each_arrive_once(store: Arc<dyn Store>) {
    let h = Harness::start(store).await;
    let mut orders = Vec::new();
    for o in 0..10 {
        orders.push(h.adm_order(&format!("20{o:02}"), "SKU-X", 10).await);
    }
    // Interleave the orders: shipment n of every order, then n + 1.
    for n in 0..10 {
        for (o, order) in orders.iter().enumerate() {
            h.ship(order, &format!("T{o:02}-{n:02}"), "SKU-X", 1).await;
        }
    }
    assert!(
        h.adm.wait_for_accepted(100, Duration::from_secs(60)).await,
        "all 100 delivered"
    );
    let accepted = h.adm.accepted();
    assert_eq!(accepted.len(), 100);
    assert_eq!(h.adm.duplicates(), 0);
    for o in 0..10 {
        let external = format!("20{o:02}");
        // Independent shipments may arrive in any order: each one once, under its order.
        let mut tracking: Vec<&str> = accepted
            .iter()
            .filter(|f| f.order_id == external)
            .map(|f| f.tracking_number.as_str())
            .collect();
        tracking.sort_unstable();
        let expected: Vec<String> = (0..10).map(|n| format!("T{o:02}-{n:02}")).collect();
        assert_eq!(tracking, expected, "order {external}: each shipment once");
    }
    h.stop().await;
}

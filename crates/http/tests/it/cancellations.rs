//! ADM's cancellations over HTTP (design section 11): the `orders/cancelled` route for a sole
//! account and by channel, `cancelled_at` on the create route, a cancellation before its order,
//! what a cancelled order shows, and bodies that cannot be read (400, kept in quarantine).

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    ADM_KEY, Reply, SEED_ORDER, WAREHOUSE_KEY, app, assert_error, call, get, json_request,
    post_order, stored_order,
};

async fn cancel(app: &Router, path: &str, body: &Value) -> Reply {
    call(
        app,
        json_request("POST", path, Some(ADM_KEY), &body.to_string()),
    )
    .await
}

async fn order(app: &Router, id: &str) -> Value {
    call(app, get(&format!("/v1/orders/{id}"), Some(WAREHOUSE_KEY)))
        .await
        .json
}

async fn ship(app: &Router, id: &str, tracking: &str) -> Reply {
    let body = json!({"tracking_number": tracking, "carrier": "UPS",
        "line_items": [{"sku": "ABC-123", "quantity": 1}]});
    call(
        app,
        json_request(
            "POST",
            &format!("/v1/orders/{id}/fulfillments"),
            Some(WAREHOUSE_KEY),
            &body.to_string(),
        ),
    )
    .await
}

#[tokio::test]
async fn a_cancellation_on_either_route_cancels_what_is_not_shipped_and_refuses_shipments() {
    let app = app();
    for (external, path) in [
        ("5001", "/webhooks/adm/orders/cancelled"),
        ("5002", "/webhooks/adm/adm/orders/cancelled"),
    ] {
        let id = stored_order(&app, external).await;
        assert_eq!(
            ship(&app, &id, &format!("T-{external}")).await.status,
            StatusCode::CREATED
        );
        let body = json!({"id": external.parse::<u64>().unwrap(),
            "cancelled_at": "2024-01-02T03:04:05Z", "cancel_reason": "inventory"});
        let reply = cancel(&app, path, &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(
            reply.json,
            json!({"order_id": external.parse::<u64>().unwrap(), "status": "cancelled"})
        );
        let order = order(&app, &id).await;
        assert_eq!(order["status"], "fulfilled", "{order}");
        assert_eq!(
            (
                order["units"]["shipped"].clone(),
                order["units"]["cancelled"].clone()
            ),
            (json!(1), json!(3))
        );
        assert_eq!(order["cancelled_by_marketplace_at"], "2024-01-02T03:04:05Z");
        let cancellation = &order["cancellations"][0];
        assert_eq!(cancellation["by"], "marketplace");
        assert_eq!(cancellation["reason"], "out_of_stock");
        assert_eq!(cancellation["note"], "ADM cancel_reason: inventory");
        let refused = ship(&app, &id, "T-late").await;
        assert_error(&refused, StatusCode::CONFLICT, "Cancelled By Marketplace");
        assert!(
            refused.json["message"]
                .as_str()
                .unwrap()
                .contains("channel adm")
        );
        // The warehouse cannot cancel it again either, and it is told why.
        let again = call(
            &app,
            json_request(
                "POST",
                &format!("/v1/orders/{id}/cancellations"),
                Some(WAREHOUSE_KEY),
                r#"{"reason": "customer"}"#,
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    }
}

#[tokio::test]
async fn cancelled_at_on_the_create_route_cancels_a_new_or_a_stored_order() {
    let app = app();
    let mut seed: Value = serde_json::from_str(SEED_ORDER).unwrap();
    seed["id"] = json!(6001);
    seed["cancelled_at"] = json!("2024-01-02T03:04:05Z");
    seed["cancel_reason"] = json!("customer");
    let reply = post_order(&app, &seed.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["status"], "created",
        "the seed's answer for a new order"
    );
    let list = call(&app, get("/v1/orders?limit=10", Some(WAREHOUSE_KEY))).await;
    let stored = &list.json["orders"][0];
    assert_eq!(
        stored["status"], "cancelled",
        "it arrives cancelled: {stored}"
    );
    assert_eq!(stored["cancellations"][0]["by"], "marketplace");
    // The same order sent again: the cancellation is known, the answer says so (not a 409).
    let reply = post_order(&app, &seed.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json, json!({"order_id": 6001, "status": "cancelled"}));
    // A stored order sent again with cancelled_at set is cancelled.
    let id = stored_order(&app, "6002").await;
    let mut again: Value = serde_json::from_str(&SEED_ORDER.replace("987654321", "6002")).unwrap();
    again["cancelled_at"] = json!("2024-01-02");
    let reply = post_order(&app, &again.to_string()).await;
    assert_eq!(
        reply.json,
        json!({"order_id": 6002, "status": "cancelled"}),
        "{}",
        reply.text
    );
    let order = order(&app, &id).await;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(
        order["cancellations"][0]["reason"], "other",
        "no cancel_reason"
    );
    // A null cancelled_at cancels nothing: 409 as the seed says.
    let mut plain: Value = serde_json::from_str(&SEED_ORDER.replace("987654321", "6002")).unwrap();
    plain["cancelled_at"] = Value::Null;
    assert_error(
        &post_order(&app, &plain.to_string()).await,
        StatusCode::CONFLICT,
        "Order Already Created",
    );
}

#[tokio::test]
async fn a_cancellation_before_its_order_is_kept_and_applied_when_it_arrives() {
    let app = app();
    let reply = cancel(
        &app,
        "/webhooks/adm/orders/cancelled",
        &json!({"id": "7001", "cancel_reason": "fraud"}),
    )
    .await;
    assert_eq!(
        reply.json,
        json!({"order_id": 7001, "status": "cancelled"}),
        "{}",
        reply.text
    );
    let id = stored_order(&app, "7001").await;
    let order = order(&app, &id).await;
    assert_eq!(order["status"], "cancelled", "{order}");
    assert_eq!(order["cancellations"][0]["reason"], "fraud");
    assert!(
        order["cancelled_by_marketplace_at"].is_string(),
        "the time received stands in"
    );
}

#[tokio::test]
async fn an_unreadable_cancellation_is_refused_naming_the_field_and_kept() {
    let app = app();
    for (body, title) in [
        ("{\"cancel_reason\": \"customer\"}", "Invalid Order"),
        ("{\"id\": [1]}", "Invalid Order"),
        ("[1, 2]", "Invalid Order"),
        ("{\"id\": ", "Malformed JSON"),
    ] {
        let reply = call(
            &app,
            json_request(
                "POST",
                "/webhooks/adm/orders/cancelled",
                Some(ADM_KEY),
                body,
            ),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.json["error"], title, "{body}: {}", reply.text);
    }
    let kept = call(&app, get("/v1/inbound?state=rejected", Some(WAREHOUSE_KEY))).await;
    let entries = kept.json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{}", kept.text);
    assert!(
        entries
            .iter()
            .all(|e| e["error"].as_str().unwrap().starts_with("cancellation: "))
    );
    // Without a key nothing is read or kept.
    let stranger = call(
        &app,
        json_request(
            "POST",
            "/webhooks/adm/orders/cancelled",
            None,
            "{\"id\": 1}",
        ),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    let unknown = call(
        &app,
        json_request("POST", "/webhooks/adm/orders/refunded", Some(ADM_KEY), "{}"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

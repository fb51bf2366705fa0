//! The warehouse API: list, read, fulfil, cancel, refund, deliveries; every status with its body.

use std::sync::Arc;

use axum::http::StatusCode;

use orderbridge_domain::order::{EventType, OrderEvent};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::{AttemptResult, ClaimRequest, DeliveryQueue, OrderStore};
use orderbridge_domain::testing::{ManualClock, MemoryStore};
use orderbridge_domain::values::{EventId, OrderId};
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    Options, SEED_ORDER, WAREHOUSE_KEY, app, app_with, assert_error, call, get, json_request,
    post_order, stored_order,
};

fn post(path: &str, body: serde_json::Value) -> axum::http::Request<axum::body::Body> {
    json_request("POST", path, Some(WAREHOUSE_KEY), &body.to_string())
}

#[tokio::test]
async fn orders_are_listed_with_filters_and_a_cursor() {
    let app = app();
    for n in 0..5 {
        stored_order(&app, &format!("L{n}")).await;
    }
    let first = call(
        &app,
        get(
            "/v1/orders?limit=2&status=open&channel=adm",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json["orders"].as_array().unwrap().len(), 2);
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let mut seen: Vec<String> = first.json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["external_id"].as_str().unwrap().to_owned())
        .collect();
    let mut next = Some(cursor.to_owned());
    while let Some(cursor) = next {
        let page = call(
            &app,
            get(
                &format!("/v1/orders?limit=2&cursor={cursor}"),
                Some(WAREHOUSE_KEY),
            ),
        )
        .await;
        seen.extend(
            page.json["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["external_id"].as_str().unwrap().to_owned()),
        );
        next = page.json["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["L0", "L1", "L2", "L3", "L4"]);
    let none = call(
        &app,
        get("/v1/orders?status=cancelled", Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(none.json, json!({"orders": [], "next_cursor": null}));
}

#[tokio::test]
async fn orders_are_listed_by_their_hold_and_a_held_one_refuses_shipments_with_409() {
    let store = Arc::new(MemoryStore::new());
    let app = app_with(Options {
        store: Some(store.clone()),
        ..Options::default()
    });
    let free = stored_order(&app, "H-FREE").await;
    let held = stored_order(&app, "H-HELD").await;
    let mut order = store
        .get(OrderId::parse(&held).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(order.set_hold(
        true,
        EventId::from_uuid(Uuid::now_v7()),
        ManualClock::fixed().now()
    ));
    store.save(&order, &[], &[]).await.unwrap();
    let listed = |query: &'static str| {
        let app = app.clone();
        async move {
            let reply = call(
                &app,
                get(&format!("/v1/orders?{query}"), Some(WAREHOUSE_KEY)),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
            reply.json["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| (o["id"].as_str().unwrap().to_owned(), o["on_hold"].clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("on_hold=true").await, [(held.clone(), json!(true))]);
    assert_eq!(
        listed("on_hold=false").await,
        [(free.clone(), json!(false))]
    );
    assert_eq!(
        listed("on_hold=true&status=open&channel=adm").await.len(),
        1
    );
    assert_eq!(listed("").await.len(), 2);
    let refused = call(
        &app,
        post(
            &format!("/v1/orders/{held}/fulfillments"),
            json!({"tracking_number": "T-HELD", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    assert_error(&refused, StatusCode::CONFLICT, "Order On Hold");
}

#[tokio::test]
async fn an_order_is_found_by_its_marketplace_id() {
    let app = app();
    let id = stored_order(&app, "ADM-555").await;
    let found = call(
        &app,
        get(
            "/v1/orders?channel=adm&external_id=ADM-555",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.json["orders"][0]["id"], id.as_str());
    let none = call(
        &app,
        get(
            "/v1/orders?channel=adm&external_id=ADM-556",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_eq!(none.json, json!({"orders": [], "next_cursor": null}));
    let no_channel = call(
        &app,
        get("/v1/orders?external_id=ADM-555", Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_error(&no_channel, StatusCode::BAD_REQUEST, "Invalid Query");
}

#[tokio::test]
async fn bad_list_filters_are_400_naming_the_parameter() {
    let app = app();
    for (query, field) in [
        ("status=shipped", "status"),
        ("channel=ADM!", "channel"),
        ("updated_after=yesterday", "updated_after"),
        ("limit=501", "limit"),
        ("cursor=nonsense", "cursor"),
        ("on_hold=yes", "on_hold"),
        ("on_hold=1", "on_hold"),
    ] {
        let reply = call(
            &app,
            get(&format!("/v1/orders?{query}"), Some(WAREHOUSE_KEY)),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.text
        );
        assert!(
            reply.json["message"].as_str().unwrap().contains(field),
            "{query}: {}",
            reply.text
        );
    }
    let reply = call(&app, get("/v1/orders?limit=abc", Some(WAREHOUSE_KEY))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Query");
}

#[tokio::test]
async fn an_order_reads_with_lines_fulfillments_delivery_state_and_history() {
    let app = app();
    let id = stored_order(&app, "987654321").await;
    let shipped = call(
        &app,
        post(
            &format!("/v1/orders/{id}/fulfillments"),
            json!({
                "tracking_number": "1ZE356F8YW01937117", "carrier": "UPS",
                "tracking_url": "https://ups.example/t/1ZE356F8YW01937117",
                "line_items": [{"sku": "ABC-123", "quantity": 3}]
            }),
        ),
    )
    .await;
    assert_eq!(shipped.status, StatusCode::CREATED, "{}", shipped.text);
    let reply = call(&app, get(&format!("/v1/orders/{id}"), Some(WAREHOUSE_KEY))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let order = &reply.json;
    assert_eq!(order["status"], "partially_fulfilled");
    assert_eq!(order["external_id"], "987654321");
    assert_eq!(order["totals"]["total"], "85.97");
    assert_eq!(order["lines"][0]["unit_price"], "12.34");
    assert_eq!(order["lines"][0]["shipped"], 2);
    assert_eq!(order["lines"][1]["shipped"], 1);
    assert_eq!(order["lines"][1]["open"], 1);
    assert_eq!(order["shipping_address"]["country_code"], "US");
    assert_eq!(order["flags"], json!([]));
    let fulfillment = &order["fulfillments"][0];
    assert_eq!(fulfillment["tracking_number"], "1ZE356F8YW01937117");
    assert_eq!(fulfillment["delivery"]["state"], "pending");
    assert_eq!(fulfillment["delivery"]["kind"], "fulfillment");
    assert_eq!(order["deliveries"].as_array().unwrap().len(), 1);
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["received", "fulfilled"]);
}

#[tokio::test]
async fn unknown_and_malformed_order_ids_are_404_and_400() {
    let app = app();
    let missing = call(
        &app,
        get(
            "/v1/orders/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_error(&missing, StatusCode::NOT_FOUND, "Not Found");
    let malformed = call(&app, get("/v1/orders/not-a-uuid", Some(WAREHOUSE_KEY))).await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "Invalid Request");
    let fulfil = call(
        &app,
        post(
            "/v1/orders/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b/fulfillments",
            json!({
                "tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]
            }),
        ),
    )
    .await;
    assert_error(&fulfil, StatusCode::NOT_FOUND, "Not Found");
}

#[tokio::test]
async fn a_fulfillment_is_201_then_200_on_replay_and_409_with_other_lines() {
    let app = app();
    let id = stored_order(&app, "F1").await;
    let path = format!("/v1/orders/{id}/fulfillments");
    let body = json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]});
    let created = call(&app, post(&path, body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["replayed"], false);
    assert_eq!(created.json["order_status"], "partially_fulfilled");
    let replay = call(&app, post(&path, body)).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
    assert_eq!(replay.json["replayed"], true);
    assert_eq!(
        replay.json["fulfillment"]["id"],
        created.json["fulfillment"]["id"]
    );
    let conflict = call(
        &app,
        post(
            &path,
            json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 2}]}),
        ),
    )
    .await;
    assert_error(&conflict, StatusCode::CONFLICT, "Tracking Number Conflict");
}

#[tokio::test]
async fn an_invalid_sku_or_quantity_is_400() {
    let app = app();
    let id = stored_order(&app, "F2").await;
    let path = format!("/v1/orders/{id}/fulfillments");
    for lines in [
        json!([{"sku": "NOPE", "quantity": 1}]),
        json!([{"sku": "ABC-123", "quantity": 5}]),
        json!([{"sku": "ABC-123", "quantity": 0}]),
        json!([{"sku": "", "quantity": 1}]),
        json!([]),
    ] {
        let reply = call(
            &app,
            post(&path, json!({"tracking_number": "T9", "line_items": lines})),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
    }
    let bad_url = call(&app, post(&path, json!({"tracking_number": "T9", "tracking_url": "ftp://x", "line_items": [{"sku": "ABC-123", "quantity": 1}]}))).await;
    assert_error(&bad_url, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(
        bad_url.json["message"]
            .as_str()
            .unwrap()
            .contains("tracking_url")
    );
    let missing = call(
        &app,
        post(
            &path,
            json!({"line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(
        missing.json["message"]
            .as_str()
            .unwrap()
            .contains("tracking_number"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn a_cancelled_order_takes_no_fulfillment_409() {
    let app = app();
    let id = stored_order(&app, "C1").await;
    let cancelled = call(
        &app,
        post(
            &format!("/v1/orders/{id}/cancellations"),
            json!({"reason": "customer"}),
        ),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::CREATED, "{}", cancelled.text);
    assert_eq!(cancelled.json["order_status"], "cancelled");
    assert_eq!(cancelled.json["cancellation"]["whole_order"], true);
    let reply = call(
        &app,
        post(
            &format!("/v1/orders/{id}/fulfillments"),
            json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "Order Cancelled");
    let again = call(
        &app,
        post(
            &format!("/v1/orders/{id}/cancellations"),
            json!({"reason": "customer"}),
        ),
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, "Nothing To Cancel");
}

#[tokio::test]
async fn cancellations_of_lines_and_bad_reasons() {
    let app = app();
    let id = stored_order(&app, "C2").await;
    let path = format!("/v1/orders/{id}/cancellations");
    let bad = call(&app, post(&path, json!({"reason": "bored"}))).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(bad.json["message"].as_str().unwrap().contains("reason"));
    let lines = call(
        &app,
        post(
            &path,
            json!({"reason": "out_of_stock", "line_items": [{"sku": "ABC-123", "quantity": 3}]}),
        ),
    )
    .await;
    assert_eq!(lines.status, StatusCode::CREATED, "{}", lines.text);
    assert_eq!(lines.json["units"]["cancelled"], 3);
    assert_eq!(lines.json["order_status"], "partially_fulfilled");
}

#[tokio::test]
async fn refunds_are_201_replayed_200_and_refused_beyond_what_was_paid() {
    let app = app();
    let id = stored_order(&app, "R1").await;
    let path = format!("/v1/orders/{id}/refunds");
    let body = json!({"reference": "RMA-1", "reason": "customer_return", "lines": [{"line": 1, "quantity": 1, "amount": "12.34"}, {"line": 2, "quantity": 0, "amount": 0.1}]});
    let created = call(&app, post(&path, body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["refund"]["total"], "12.44");
    assert_eq!(created.json["refunded_total"], "12.44");
    let replay = call(&app, post(&path, body)).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
    assert_eq!(replay.json["replayed"], true);
    let conflict = call(&app, post(&path, json!({"reference": "RMA-1", "reason": "customer_return", "lines": [{"line": 1, "amount": "1.00"}]}))).await;
    assert_error(&conflict, StatusCode::CONFLICT, "Refund Reference Conflict");
    let too_much = call(
        &app,
        post(
            &path,
            json!({"reason": "other", "lines": [{"line": 2, "amount": "73.54"}]}),
        ),
    )
    .await;
    assert_error(&too_much, StatusCode::BAD_REQUEST, "Refund Too Large");
    let wrong_currency = call(
        &app,
        post(
            &path,
            json!({"reason": "other", "currency": "EUR", "lines": [{"line": 2, "amount": "1"}]}),
        ),
    )
    .await;
    assert_error(&wrong_currency, StatusCode::BAD_REQUEST, "Invalid Refund");
    let no_line = call(
        &app,
        post(
            &path,
            json!({"reason": "other", "lines": [{"line": 9, "amount": "1"}]}),
        ),
    )
    .await;
    assert_error(&no_line, StatusCode::BAD_REQUEST, "Invalid Refund");
    let not_money = call(
        &app,
        post(
            &path,
            json!({"reason": "other", "lines": [{"line": 1, "amount": "ten"}]}),
        ),
    )
    .await;
    assert_error(&not_money, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(
        not_money.json["message"]
            .as_str()
            .unwrap()
            .contains("lines[0].amount"),
        "{}",
        not_money.text
    );
}

#[tokio::test]
async fn dead_deliveries_are_listed_and_only_they_can_be_retried() {
    let app = app();
    let id = stored_order(&app, "D1").await;
    call(
        &app,
        post(
            &format!("/v1/orders/{id}/fulfillments"),
            json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    let dead = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    assert_eq!(dead.json, json!({"deliveries": [], "next_cursor": null}));
    let pending = call(
        &app,
        get("/v1/deliveries?state=pending", Some(WAREHOUSE_KEY)),
    )
    .await;
    let delivery = pending.json["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let retry = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/deliveries/{delivery}/retry"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&retry, StatusCode::CONFLICT, "Not Dead");
    let unknown = call(
        &app,
        json_request(
            "POST",
            "/v1/deliveries/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b/retry",
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Not Found");
    let bad_state = call(&app, get("/v1/deliveries?state=lost", Some(WAREHOUSE_KEY))).await;
    assert_error(&bad_state, StatusCode::BAD_REQUEST, "Invalid Request");
}

#[tokio::test]
async fn a_parked_delivery_shows_the_marketplace_message_and_is_retried_through_the_api() {
    let store = Arc::new(MemoryStore::new());
    let app = app_with(Options {
        store: Some(store.clone()),
        ..Options::default()
    });
    let id = stored_order(&app, "D2").await;
    call(
        &app,
        post(
            &format!("/v1/orders/{id}/fulfillments"),
            json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    // Play the dispatcher: ADM refuses the shipment for good.
    let now = ManualClock::fixed().now();
    let claim = ClaimRequest {
        now,
        lease: std::time::Duration::from_secs(30),
        token: Uuid::now_v7(),
        limit: 10,
        skip_channels: vec![],
        probe: None,
    };
    let claimed = store.claim_due(&claim).await.unwrap().remove(0);
    let event = OrderEvent {
        id: EventId::from_uuid(Uuid::now_v7()),
        at: now,
        kind: EventType::DeliveryFailed,
        subject: None,
        detail: "parked".to_owned(),
    };
    let error = "400 Invalid SKU or Quantity: One or more line items have an invalid SKU or quantity specified.".to_owned();
    store
        .complete(
            &claimed.lease,
            &AttemptResult::Dead {
                error: error.clone(),
            },
            &event,
        )
        .await
        .unwrap();

    let dead = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    assert_eq!(
        dead.json["deliveries"].as_array().unwrap().len(),
        1,
        "{}",
        dead.text
    );
    assert_eq!(dead.json["deliveries"][0]["last_error"], error.as_str());
    let delivery = dead.json["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let retry = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/deliveries/{delivery}/retry"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    assert_eq!(retry.json["state"], "pending");
    let history = call(&app, get(&format!("/v1/orders/{id}"), Some(WAREHOUSE_KEY))).await;
    let kinds: Vec<&str> = history.json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"delivery_requeued"));
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_without_a_key() {
    let app = app();
    let health = call(&app, get("/healthz", None)).await;
    assert_eq!(
        (health.status, health.json.clone()),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    let ready = call(&app, get("/readyz", None)).await;
    assert_eq!(
        (ready.status, ready.json.clone()),
        (StatusCode::OK, json!({"status": "ready"}))
    );
    let metrics = call(&app, get("/metrics", None)).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.text.contains("orderbridge_up 1"));
    assert_eq!(post_order(&app, SEED_ORDER).await.status, StatusCode::OK);
}

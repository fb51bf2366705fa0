//! Erased personal data over HTTP: an order whose customer data was erased under
//! `retention.days` still reads and lists, with its email and address null, when it was
//! erased, and the history entry; a quarantined entry whose body was erased reads with an
//! empty body and when it was erased.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::TimeDelta;
use orderbridge_domain::order::{EventType, OrderEvent};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::{AttemptResult, ClaimRequest, DeliveryQueue};
use orderbridge_domain::retention::RetentionPeriod;
use orderbridge_domain::services::{Purge, PurgeMode};
use orderbridge_domain::testing::{ManualClock, MemoryStore, SequentialIds};
use orderbridge_domain::values::EventId;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    Options, SEED_ORDER, WAREHOUSE_KEY, app_with, call, get, json_request, post_order, stored_order,
};

/// Delivers every due row of `store` now (the clock of the test app).
async fn deliver_all(store: &MemoryStore) {
    let now = ManualClock::fixed().now();
    let claim = ClaimRequest {
        now,
        lease: std::time::Duration::from_secs(30),
        token: Uuid::now_v7(),
        limit: 10,
        skip_channels: vec![],
        probe: None,
    };
    for claimed in store.claim_due(&claim).await.unwrap() {
        let event = OrderEvent {
            id: EventId::from_uuid(Uuid::now_v7()),
            at: now,
            kind: EventType::Delivered,
            subject: Some(claimed.delivery.id.as_uuid()),
            detail: "delivered".to_owned(),
        };
        let result = AttemptResult::Delivered {
            remote_ref: None,
            at: now,
        };
        store
            .complete(&claimed.lease, &result, &event)
            .await
            .unwrap();
    }
}

/// Purges `store` 31 days after the test app's clock, keeping 30 days.
async fn purge_a_month_later(store: Arc<MemoryStore>) {
    let clock = ManualClock::fixed();
    clock.advance(TimeDelta::days(31));
    let ids = Arc::new(SequentialIds::default());
    for _ in 0..10_000 {
        orderbridge_domain::ports::clock::IdGenerator::next_id(ids.as_ref());
    }
    let purge = Purge::new(
        store,
        Arc::new(clock),
        ids,
        RetentionPeriod::days(30).unwrap(),
    );
    purge.run(PurgeMode::Erase, &mut |_| {}).await.unwrap();
}

#[tokio::test]
async fn an_erased_order_reads_and_lists_without_its_customer_data() {
    let store = Arc::new(MemoryStore::new());
    let app = app_with(Options {
        store: Some(store.clone()),
        ..Options::default()
    });
    let id = stored_order(&app, "987654321").await;
    let shipped = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/orders/{id}/fulfillments"),
            Some(WAREHOUSE_KEY),
            &json!({"tracking_number": "1Z999", "line_items": [{"sku": "ABC-123", "quantity": 4}]})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(shipped.status, StatusCode::CREATED, "{}", shipped.text);
    deliver_all(&store).await;
    let before = call(&app, get(&format!("/v1/orders/{id}"), Some(WAREHOUSE_KEY))).await;
    assert_eq!(before.json["email"], "customer@example.com");
    assert_eq!(before.json["personal_data_erased_at"], Value::Null);

    purge_a_month_later(store).await;

    let reply = call(&app, get(&format!("/v1/orders/{id}"), Some(WAREHOUSE_KEY))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let order = &reply.json;
    assert_eq!(order["email"], Value::Null);
    assert_eq!(order["shipping_address"], Value::Null);
    assert_eq!(order["personal_data_erased_at"], "2024-05-31T12:00:00Z");
    assert_eq!(order["status"], "fulfilled");
    assert_eq!(order["totals"], before.json["totals"], "totals stay");
    assert_eq!(order["lines"], before.json["lines"], "lines stay");
    assert_eq!(order["fulfillments"], before.json["fulfillments"]);
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["received", "fulfilled", "delivered", "personal_data_erased"]
    );
    for text in [
        "Jane",
        "Doe",
        "Main Street",
        "456-7890",
        "customer@example.com",
    ] {
        assert!(!reply.text.contains(text), "{text} in {}", reply.text);
    }
    let listed = call(
        &app,
        get("/v1/orders?status=fulfilled", Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.json["orders"][0]["email"], Value::Null);
}

#[tokio::test]
async fn an_erased_quarantined_body_reads_empty_with_when_it_was_erased() {
    let store = Arc::new(MemoryStore::new());
    let app = app_with(Options {
        store: Some(store.clone()),
        ..Options::default()
    });
    let body = SEED_ORDER
        .replace("987654321", "555")
        .replace("\"quantity\": 2", "\"quantity\": 0");
    post_order(&app, &body).await;
    let listed = call(&app, get("/v1/inbound", Some(WAREHOUSE_KEY))).await;
    let id = listed.json["entries"][0]["id"].as_str().unwrap().to_owned();
    let discarded = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/inbound/{id}/discard"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_eq!(discarded.json["body_erased_at"], Value::Null);

    purge_a_month_later(store).await;

    let one = call(&app, get(&format!("/v1/inbound/{id}"), Some(WAREHOUSE_KEY))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.json["body_bytes"], 0);
    assert_eq!(one.json["body_text"], "");
    assert_eq!(one.json["body_erased_at"], "2024-05-31T12:00:00Z");
    assert_eq!(one.json["state"], "discarded");
    assert_eq!(one.json["external_id"], "555");
    assert!(!one.text.contains("Main Street"), "{}", one.text);
}

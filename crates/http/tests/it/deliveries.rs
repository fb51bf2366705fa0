//! The operators' delivery actions over HTTP: resolving one done by hand, retrying many by a
//! filter, and every refusal with its status and message.

use std::sync::Arc;

use axum::http::StatusCode;

use orderbridge_domain::order::{EventType, OrderEvent};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::{AttemptResult, ClaimRequest, DeliveryQueue};
use orderbridge_domain::testing::{ManualClock, MemoryStore};
use orderbridge_domain::values::EventId;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    Options, WAREHOUSE_KEY, app_with, assert_error, call, get, json_request, stored_order,
};

fn post(path: &str, body: &Value) -> axum::http::Request<axum::body::Body> {
    json_request("POST", path, Some(WAREHOUSE_KEY), &body.to_string())
}

/// An app over `store` with `orders` stored, each with one shipment whose delivery ADM refused
/// for good; returns the parked deliveries' ids.
async fn parked(store: &Arc<MemoryStore>, orders: &[&str]) -> (axum::Router, Vec<String>) {
    let app = app_with(Options {
        store: Some(store.clone()),
        ..Options::default()
    });
    for name in orders {
        let id = stored_order(&app, name).await;
        let shipped = call(
            &app,
            post(
                &format!("/v1/orders/{id}/fulfillments"),
                &json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
            ),
        )
        .await;
        assert_eq!(shipped.status, StatusCode::CREATED, "{}", shipped.text);
    }
    let now = ManualClock::fixed().now();
    let claim = ClaimRequest {
        now,
        lease: std::time::Duration::from_secs(30),
        token: Uuid::now_v7(),
        limit: 100,
        skip_channels: vec![],
        probe: None,
    };
    for claimed in store.claim_due(&claim).await.unwrap() {
        let event = OrderEvent {
            id: EventId::from_uuid(Uuid::now_v7()),
            at: now,
            kind: EventType::DeliveryFailed,
            subject: None,
            detail: "parked".to_owned(),
        };
        let result = AttemptResult::Dead {
            error: "400 Invalid SKU or Quantity".to_owned(),
        };
        store
            .complete(&claimed.lease, &result, &event)
            .await
            .unwrap();
    }
    let dead = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    let ids = dead.json["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    (app, ids)
}

#[tokio::test]
async fn a_parked_delivery_is_resolved_with_a_note_kept_in_the_history() {
    let store = Arc::new(MemoryStore::new());
    let (app, ids) = parked(&store, &["R1"]).await;
    let id = &ids[0];
    let resolved = call(
        &app,
        post(
            &format!("/v1/deliveries/{id}/resolve"),
            &json!({"note": "  entered on ADM's seller page, ticket 4711 ", "by": "Kim"}),
        ),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(resolved.json["state"], "resolved");
    let order = resolved.json["order_id"].as_str().unwrap();
    let detail = call(
        &app,
        get(&format!("/v1/orders/{order}"), Some(WAREHOUSE_KEY)),
    )
    .await;
    let last = detail.json["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "delivery_resolved");
    let text = last["detail"].as_str().unwrap();
    assert!(
        text.contains("entered on ADM's seller page, ticket 4711") && text.contains("\"Kim\""),
        "{text}"
    );
    let again = call(
        &app,
        post(
            &format!("/v1/deliveries/{id}/resolve"),
            &json!({"note": "twice"}),
        ),
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, "Not Resolvable");
    assert!(again.json["message"].as_str().unwrap().contains("Resolved"));
    let retry = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/deliveries/{id}/retry"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&retry, StatusCode::CONFLICT, "Not Dead");
}

#[tokio::test]
async fn a_resolve_without_a_usable_note_or_for_no_delivery_is_refused_by_name() {
    let store = Arc::new(MemoryStore::new());
    let (app, ids) = parked(&store, &["R2"]).await;
    let id = &ids[0];
    let path = format!("/v1/deliveries/{id}/resolve");
    let long = "x".repeat(2_001);
    for (body, field) in [
        (json!({"note": "   "}), "note"),
        (json!({"note": long}), "note"),
        (json!({"note": "line\nbreak"}), "note"),
        (json!({"note": "ok", "by": ""}), "by"),
    ] {
        let reply = call(&app, post(&path, &body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
        assert!(
            reply.json["message"].as_str().unwrap().starts_with(field),
            "{body}: {}",
            reply.text
        );
    }
    let no_note = call(&app, post(&path, &json!({}))).await;
    assert_eq!(no_note.status, StatusCode::BAD_REQUEST, "{}", no_note.text);
    assert!(no_note.text.contains("note"), "{}", no_note.text);
    let unknown = call(
        &app,
        post(
            "/v1/deliveries/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b/resolve",
            &json!({"note": "x"}),
        ),
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Not Found");
    let state = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    assert_eq!(
        state.json["deliveries"].as_array().unwrap().len(),
        1,
        "refused resolves change nothing"
    );
}

#[tokio::test]
async fn retry_by_filter_requeues_every_match_and_answers_how_many() {
    let store = Arc::new(MemoryStore::new());
    let (app, ids) = parked(&store, &["B1", "B2", "B3"]).await;
    assert_eq!(ids.len(), 3);
    let other = call(
        &app,
        post("/v1/deliveries/retry", &json!({"channel": "feedamp"})),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    assert_eq!(
        other.json,
        json!({"requeued": 0}),
        "another channel has none"
    );
    let future = call(
        &app,
        post(
            "/v1/deliveries/retry",
            &json!({"created_from": "2999-01-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(future.json, json!({"requeued": 0}), "{}", future.text);
    let all = call(
        &app,
        post(
            "/v1/deliveries/retry",
            &json!({"channel": "adm", "state": "dead"}),
        ),
    )
    .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.json, json!({"requeued": 3}));
    let dead = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    assert!(dead.json["deliveries"].as_array().unwrap().is_empty());
    let pending = call(
        &app,
        get(
            "/v1/deliveries?state=pending&channel=adm",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_eq!(pending.json["deliveries"].as_array().unwrap().len(), 3);
    let again = call(&app, post("/v1/deliveries/retry", &json!({}))).await;
    assert_eq!(
        again.json,
        json!({"requeued": 0}),
        "nothing is parked any more"
    );
}

#[tokio::test]
async fn a_bad_retry_filter_is_refused_naming_the_field() {
    let store = Arc::new(MemoryStore::new());
    let (app, _) = parked(&store, &["F1"]).await;
    for (body, field) in [
        (json!({"state": "delivered"}), "state"),
        (json!({"created_from": "yesterday"}), "created_from"),
        (
            json!({"created_from": "2024-01-02T00:00:00Z", "created_before": "2024-01-01T00:00:00Z"}),
            "created_before",
        ),
        (json!({"channel": "has space"}), "channel"),
    ] {
        let reply = call(&app, post("/v1/deliveries/retry", &body)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert!(
            reply.json["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            reply.text
        );
    }
    let typo = call(
        &app,
        post("/v1/deliveries/retry", &json!({"chanel": "adm"})),
    )
    .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST, "{}", typo.text);
    assert!(typo.text.contains("chanel"), "{}", typo.text);
    let dead = call(&app, get("/v1/deliveries?state=dead", Some(WAREHOUSE_KEY))).await;
    assert_eq!(
        dead.json["deliveries"].as_array().unwrap().len(),
        1,
        "a refused filter requeues nothing"
    );
}

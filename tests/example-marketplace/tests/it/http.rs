//! The webhook served by orderbridge's HTTP router: registered with `Webhooks::new().with(..)`
//! and nothing else, Bazaar's orders reach it at `POST /webhooks/bazaar/orders` (its only
//! account) and `POST /webhooks/bazaar/bazaar/orders`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use orderbridge_domain::services::{ChannelService, DeadlineService, DeliveryService};
use orderbridge_domain::testing::SequentialIds;
use orderbridge_http::{ApiConfig, ApiKeys, AppState, Webhooks};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{Fixture, HOOK_KEY, ORDER, fixture};

fn router(f: &Fixture) -> axum::Router {
    let webhooks = Webhooks::new().with(f.account.webhook().unwrap().clone());
    let state = AppState {
        service: f.orders.clone(),
        deliveries: DeliveryService::new(
            f.store.clone(),
            f.clock.clone(),
            Arc::new(SequentialIds::default()),
        ),
        channels: ChannelService::new(
            vec![f.account.channel().clone()],
            f.store.clone(),
            f.store.clone(),
            f.clock.clone(),
            Arc::new(SequentialIds::default()),
            false,
        ),
        deadlines: DeadlineService::new(
            f.store.clone(),
            f.clock.clone(),
            Arc::new(SequentialIds::default()),
            false,
        ),
        health: f.store.clone(),
        clock: f.clock.clone(),
        webhooks,
        warehouse_keys: ApiKeys::default(),
        metrics: None,
    };
    orderbridge_http::router(state, &ApiConfig::default())
}

async fn post(app: &axum::Router, path: &str, key: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn post_webhooks_bazaar_orders_reaches_the_webhook() {
    let f = fixture();
    let app = router(&f);
    let (status, body) = post(&app, "/webhooks/bazaar/orders", HOOK_KEY, ORDER).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!({ "received": "BZ-1001" }));
    let (status, _) = post(&app, "/webhooks/bazaar/bazaar/orders", HOOK_KEY, ORDER).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(f.stored().await, 1);
}

#[tokio::test]
async fn the_router_answers_bazaars_401_and_400() {
    let f = fixture();
    let app = router(&f);
    let (status, body) = post(&app, "/webhooks/bazaar/orders", "wrong", ORDER).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "error": "unauthorized" }));
    let bad = ORDER.replace(r#""quantity": 2"#, r#""quantity": "two""#);
    let (status, body) = post(&app, "/webhooks/bazaar/orders", HOOK_KEY, &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "lines[0].quantity");
    let (status, _) = post(&app, "/webhooks/other/orders", HOOK_KEY, ORDER).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

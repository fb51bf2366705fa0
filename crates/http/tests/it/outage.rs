//! A store that cannot be reached is 503 with `Retry-After` (the API and the ADM webhook),
//! never 500; other store failures stay an opaque 500; past `http.max_in_flight` requests are
//! shed with 503 and `Retry-After` at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use orderbridge_domain::ports::store::{InsertError, MockOrderStore, StoreError};
use serde_json::json;

use crate::slow::SlowOrders;
use crate::support::{
    Options, Reply, WAREHOUSE_KEY, app_with, assert_error, call, get, post_order,
};

const ORDER: &str = "/v1/orders/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b";

fn refused() -> StoreError {
    StoreError::unavailable(
        "cannot reach the store",
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
    )
}

fn orders_failing(failure: fn() -> StoreError) -> MockOrderStore {
    let mut store = MockOrderStore::new();
    store.expect_get().returning(move |_| Err(failure()));
    store
        .expect_find_by_external()
        .returning(move |_, _| Err(failure()));
    store.expect_list().returning(move |_| Err(failure()));
    store
        .expect_insert()
        .returning(move |_, _| Err(InsertError::Store(failure())));
    store
}

fn retry_after(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn an_unreachable_store_is_503_with_retry_after_on_the_api_and_the_webhook() {
    let app = app_with(Options {
        orders: Some(Arc::new(orders_failing(refused))),
        ..Options::default()
    });
    let reply = call(&app, get(ORDER, Some(WAREHOUSE_KEY))).await;
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
    );
    assert_eq!(retry_after(&reply), Some("1"));
    assert!(
        !reply.text.contains("refused"),
        "no internals: {}",
        reply.text
    );

    let reply = post_order(&app, crate::support::SEED_ORDER).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    assert_eq!(retry_after(&reply), Some("1"));
    assert_eq!(
        reply.json,
        json!({"error": "Server Error", "message": "An error occurred on our server. Please try again later."}),
        "the seed's body"
    );
}

#[tokio::test]
async fn a_store_failure_that_is_not_an_outage_stays_an_opaque_500() {
    let app = app_with(Options {
        orders: Some(Arc::new(orders_failing(|| StoreError::msg("corrupt row")))),
        ..Options::default()
    });
    let reply = call(&app, get(ORDER, Some(WAREHOUSE_KEY))).await;
    assert_error(&reply, StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
    assert_eq!(retry_after(&reply), None);
    let reply = post_order(&app, crate::support::SEED_ORDER).await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn requests_past_max_in_flight_are_shed_at_once_with_retry_after() {
    let app = app_with(Options {
        orders: Some(Arc::new(SlowOrders {
            delay: Duration::from_secs(2),
            ..SlowOrders::default()
        })),
        max_in_flight: Some(2),
        ..Options::default()
    });
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { call(&app, get(ORDER, Some(WAREHOUSE_KEY))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let shed = call(&app, get(ORDER, Some(WAREHOUSE_KEY))).await;
    assert!(started.elapsed() < Duration::from_millis(500), "at once");
    assert_error(&shed, StatusCode::SERVICE_UNAVAILABLE, "Overloaded");
    assert_eq!(retry_after(&shed), Some("1"));
    assert_eq!(
        call(&app, get("/healthz", None)).await.status,
        StatusCode::OK,
        "liveness is exempt"
    );
    for task in slow {
        assert_eq!(
            task.await.unwrap().status,
            StatusCode::NOT_FOUND,
            "the two in flight finish"
        );
    }
    let after = call(&app, get(ORDER, Some(WAREHOUSE_KEY))).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "room again");
}

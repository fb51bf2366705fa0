//! Standard Webhooks signatures on the ADM webhook: a valid call is taken, a wrong signature,
//! a stale (or future) timestamp and missing headers are 401, a replayed `webhook-id` is 409,
//! and a call that failed here with a 500 is taken when ADM sends it again with the same id.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{InsertError, MockOrderStore, OrderStore, StoreError};
use orderbridge_domain::standard_webhooks::SigningKey;
use orderbridge_domain::testing::MemoryStore;
use orderbridge_domain::values::{OrderId, Secret};

use crate::support::{ADM_KEY, Options, SEED_ORDER, app_with, assert_error, call};

/// The secret, in the specification's `whsec_` form.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The test app's clock: 2024-04-30T12:00:00Z.
const NOW: i64 = 1_714_478_400;

/// A call to the ADM webhook signed with `secret` as `id` at `timestamp`, with the key when
/// `keyed`.
fn signed_call(secret: &str, id: &str, timestamp: i64, body: &str, keyed: bool) -> Request<Body> {
    let key = SigningKey::parse(&Secret::new(secret)).unwrap();
    let mut builder = Request::builder()
        .method("POST")
        .uri("/webhooks/adm/orders")
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            key.sign(id, timestamp, body.as_bytes()),
        );
    if keyed {
        builder = builder.header("authorization", format!("Bearer {ADM_KEY}"));
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

fn signed_app() -> axum::Router {
    app_with(Options {
        standard_webhooks_secret: Some(SECRET),
        ..Options::default()
    })
}

#[tokio::test]
async fn a_validly_signed_call_is_taken() {
    let app = signed_app();
    let reply = call(&app, signed_call(SECRET, "msg_1", NOW, SEED_ORDER, true)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["status"], "created");
}

#[tokio::test]
async fn a_wrong_signature_is_401_and_records_nothing() {
    let app = signed_app();
    let wrong_secret = call(
        &app,
        signed_call("whsec_c2VjcmV0", "msg_2", NOW, SEED_ORDER, true),
    )
    .await;
    assert_error(
        &wrong_secret,
        StatusCode::UNAUTHORIZED,
        "Unauthorized Request",
    );
    // Signed over another body: the body was changed on the way.
    let mut tampered = signed_call(SECRET, "msg_2", NOW, "{}", true);
    *tampered.body_mut() = Body::from(SEED_ORDER);
    let reply = call(&app, tampered).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
    let mut unsigned = signed_call(SECRET, "msg_2", NOW, SEED_ORDER, true);
    unsigned.headers_mut().remove("webhook-signature");
    let reply = call(&app, unsigned).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
    // None of those took the id: the genuine call is taken.
    let reply = call(&app, signed_call(SECRET, "msg_2", NOW, SEED_ORDER, true)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn a_timestamp_more_than_five_minutes_away_is_401() {
    let app = signed_app();
    for (id, timestamp) in [("old", NOW - 301), ("ahead", NOW + 301), ("soon", 0)] {
        let reply = call(&app, signed_call(SECRET, id, timestamp, SEED_ORDER, true)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
    }
    let mut malformed = signed_call(SECRET, "m", NOW, SEED_ORDER, true);
    malformed
        .headers_mut()
        .insert("webhook-timestamp", "yesterday".parse().unwrap());
    let reply = call(&app, malformed).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
    // At the edge of the window, either way, it is taken.
    let reply = call(
        &app,
        signed_call(SECRET, "edge", NOW - 300, SEED_ORDER, true),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn a_replayed_webhook_id_is_409_even_with_a_fresh_signature() {
    let app = signed_app();
    let body = SEED_ORDER.replace("987654321", "555");
    let reply = call(&app, signed_call(SECRET, "msg_3", NOW, &body, true)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The same call again, byte for byte.
    let reply = call(&app, signed_call(SECRET, "msg_3", NOW, &body, true)).await;
    assert_error(&reply, StatusCode::CONFLICT, "Webhook Already Received");
    // The same id with another timestamp and body, validly signed: still refused.
    let other = SEED_ORDER.replace("987654321", "556");
    let reply = call(&app, signed_call(SECRET, "msg_3", NOW - 60, &other, true)).await;
    assert_error(&reply, StatusCode::CONFLICT, "Webhook Already Received");
    // Another id is another call (an order seen before is the seed's own 409).
    let reply = call(&app, signed_call(SECRET, "msg_4", NOW, &other, true)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn the_key_is_still_required_beside_the_signature_unless_none_is_set() {
    let app = signed_app();
    let reply = call(&app, signed_call(SECRET, "msg_5", NOW, SEED_ORDER, false)).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
    let signed_only = app_with(Options {
        standard_webhooks_secret: Some(SECRET),
        no_keys: true,
        ..Options::default()
    });
    let reply = call(
        &signed_only,
        signed_call(SECRET, "msg_5", NOW, SEED_ORDER, false),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = call(
        &signed_only,
        signed_call("whsec_c2VjcmV0", "msg_6", NOW, SEED_ORDER, false),
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
}

#[tokio::test]
async fn a_call_that_failed_with_a_500_is_taken_when_sent_again_with_its_id() {
    let store = Arc::new(MemoryStore::new());
    let failing = Arc::new(AtomicBool::new(true));
    let mut orders = MockOrderStore::new();
    let (inner, fail) = (store.clone(), failing.clone());
    orders
        .expect_insert()
        .returning(move |order: &Order, outbox: &[NewDelivery]| {
            if fail.load(Ordering::SeqCst) {
                return Err(InsertError::Store(StoreError::msg("database down")));
            }
            futures_now(inner.insert(order, outbox))
        });
    let inner = store.clone();
    orders
        .expect_get()
        .returning(move |id: OrderId| futures_now(inner.get(id)));
    let app = app_with(Options {
        standard_webhooks_secret: Some(SECRET),
        store: Some(store.clone()),
        orders: Some(Arc::new(orders)),
        ..Options::default()
    });
    let reply = call(&app, signed_call(SECRET, "msg_7", NOW, SEED_ORDER, true)).await;
    assert_error(&reply, StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
    failing.store(false, Ordering::SeqCst);
    // ADM's retry: the same id, a new timestamp and signature.
    let reply = call(
        &app,
        signed_call(SECRET, "msg_7", NOW + 5, SEED_ORDER, true),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = call(
        &app,
        signed_call(SECRET, "msg_7", NOW + 5, SEED_ORDER, true),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "Webhook Already Received");
}

/// Runs a store future that never waits (the memory store's) to its end, inside a mock's
/// synchronous `returning`.
fn futures_now<T>(future: impl Future<Output = T>) -> T {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the memory store waited"),
    }
}

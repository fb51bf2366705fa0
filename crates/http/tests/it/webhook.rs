//! The ADM webhook: every status of seed file 001 with its exact body keys.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use orderbridge_domain::ports::store::{MockOrderStore, StoreError};
use proptest::prelude::*;
use serde_json::json;

use crate::support::{
    ADM_KEY, ADM_OLD_KEY, Options, SEED_ORDER, app, app_with, assert_error, call, json_request,
    post_order,
};

#[tokio::test]
async fn the_seed_example_order_is_accepted_verbatim_and_answered_in_the_200_shape() {
    let app = app();
    let reply = post_order(&app, SEED_ORDER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({
            "line_items": [{"quantity": 2, "sku": "ABC-123"}, {"quantity": 2, "sku": "ABC-123"}],
            "order_id": 987654321,
            "status": "created"
        })
    );
}

#[tokio::test]
async fn an_order_id_that_is_not_all_digits_is_echoed_as_a_string() {
    let reply = post_order(&app(), &SEED_ORDER.replace("987654321", "ADM-77")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["order_id"], "ADM-77");
}

#[tokio::test]
async fn the_same_order_again_is_409_order_already_created() {
    let app = app();
    assert_eq!(post_order(&app, SEED_ORDER).await.status, StatusCode::OK);
    let again = post_order(&app, SEED_ORDER).await;
    assert_error(&again, StatusCode::CONFLICT, "Order Already Created");
    assert_eq!(
        again.json["message"],
        "The specified order was already created."
    );
}

#[tokio::test]
async fn a_bad_quantity_is_400_invalid_sku_or_quantity_naming_the_field() {
    let body = SEED_ORDER.replacen("\"quantity\": 2", "\"quantity\": 0", 1);
    let reply = post_order(&app(), &body).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .contains("line_items[0].quantity"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn an_empty_sku_is_400_invalid_sku_or_quantity() {
    let body = SEED_ORDER.replacen("\"sku\": \"ABC-123\"", "\"sku\": \"\"", 1);
    let reply = post_order(&app(), &body).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
}

#[tokio::test]
async fn a_non_numeric_price_is_400_naming_the_field() {
    let body = SEED_ORDER.replacen("\"12.34\"", "\"12,34\"", 1);
    let reply = post_order(&app(), &body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .contains("line_items[0].price"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn malformed_json_is_400_naming_line_and_column() {
    let reply = post_order(&app(), "{\n  \"id\": \"1\",\n  oops\n}").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Malformed JSON");
    let message = reply.json["message"].as_str().unwrap();
    assert!(
        message.contains("line 3") && message.contains("column"),
        "{message}"
    );
}

#[tokio::test]
async fn no_key_and_a_wrong_key_are_401_unauthorized_request() {
    let app = app();
    for key in [None, Some("wrong"), Some("")] {
        let reply = call(
            &app,
            json_request("POST", "/webhooks/adm/orders", key, SEED_ORDER),
        )
        .await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
        assert_eq!(reply.json["message"], "The key provided is invalid.");
    }
}

#[tokio::test]
async fn the_account_route_takes_its_order_and_unknown_accounts_or_marketplaces_are_404() {
    let app = app();
    let reply = call(
        &app,
        json_request(
            "POST",
            "/webhooks/adm/adm/orders",
            Some(ADM_KEY),
            SEED_ORDER,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    for path in [
        "/webhooks/adm/nope/orders",
        "/webhooks/bazaar/orders",
        "/webhooks/bazaar/adm/orders",
    ] {
        let reply = call(&app, json_request("POST", path, Some(ADM_KEY), SEED_ORDER)).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "Not Found");
    }
    // An event ADM does not send is ADM's own 404, after the key is checked.
    let reply = call(
        &app,
        json_request(
            "POST",
            "/webhooks/adm/adm/refunds",
            Some(ADM_KEY),
            SEED_ORDER,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "Not Found");
    let reply = call(
        &app,
        json_request(
            "POST",
            "/webhooks/adm/adm/refunds",
            Some("wrong"),
            SEED_ORDER,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
}

#[tokio::test]
async fn the_previous_key_still_works_during_rotation() {
    let reply = call(
        &app(),
        json_request(
            "POST",
            "/webhooks/adm/orders",
            Some(ADM_OLD_KEY),
            SEED_ORDER,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn the_key_may_come_in_a_configured_header() {
    let app = app_with(Options {
        key_header: Some("x-adm-key"),
        ..Options::default()
    });
    let request = Request::builder()
        .method("POST")
        .uri("/webhooks/adm/orders")
        .header("content-type", "application/json")
        .header("x-adm-key", ADM_KEY)
        .body(Body::from(SEED_ORDER))
        .unwrap();
    assert_eq!(call(&app, request).await.status, StatusCode::OK);
}

fn signed(body: &str, signature: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri("/webhooks/adm/orders")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADM_KEY}"));
    if let Some(signature) = signature {
        builder = builder.header("x-adm-signature", signature);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn with_a_signing_secret_the_body_must_carry_its_hmac() {
    let app = app_with(Options {
        signing_secret: Some("whsec"),
        ..Options::default()
    });
    let good = orderbridge_adm::webhook::sign("whsec", SEED_ORDER.as_bytes());
    assert_error(
        &call(&app, signed(SEED_ORDER, None)).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized Request",
    );
    let other = orderbridge_adm::webhook::sign("whsec", b"{}");
    assert_error(
        &call(&app, signed(SEED_ORDER, Some(&other))).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized Request",
    );
    let tampered = SEED_ORDER.replace("85.97", "0.01");
    assert_error(
        &call(&app, signed(&tampered, Some(&good))).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized Request",
    );
    assert_eq!(
        call(&app, signed(SEED_ORDER, Some(&good))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_store_failure_is_500_server_error_with_no_internals() {
    let mut store = MockOrderStore::new();
    store.expect_insert().returning(|_, _| {
        Err(
            StoreError::msg("connection to 10.1.2.3 refused: password authentication failed")
                .into(),
        )
    });
    let app = app_with(Options {
        orders: Some(Arc::new(store)),
        ..Options::default()
    });
    let reply = post_order(&app, SEED_ORDER).await;
    assert_error(&reply, StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
    assert_eq!(
        reply.json["message"],
        "An error occurred on our server. Please try again later."
    );
    assert!(!reply.text.contains("10.1.2.3") && !reply.text.contains("password"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let request = Request::builder()
        .method("POST")
        .uri("/webhooks/adm/orders")
        .header("content-type", "text/plain")
        .header("authorization", format!("Bearer {ADM_KEY}"))
        .body(Body::from(SEED_ORDER))
        .unwrap();
    assert_error(
        &call(&app(), request).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported Media Type",
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = app_with(Options {
        body_limit: Some(512),
        ..Options::default()
    });
    assert_error(
        &post_order(&app, SEED_ORDER).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Payload Too Large",
    );
}

fn webhook_bodies() -> impl Strategy<Value = Vec<u8>> {
    let seed = SEED_ORDER.as_bytes().to_vec();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (0..SEED_ORDER.len()).prop_map(move |cut| seed[..cut].to_vec()),
        (0..SEED_ORDER.len(), any::<u8>()).prop_map(|(at, byte)| {
            let mut body = SEED_ORDER.as_bytes().to_vec();
            body[at] = byte;
            body
        }),
        (0..SEED_ORDER.len(), "[-0-9a-z\"{}\\[\\],:. ]{0,12}").prop_map(|(at, insert)| {
            let mut body = SEED_ORDER.as_bytes().to_vec();
            body.splice(at..at, insert.into_bytes());
            body
        }),
    ]
}

mod properties {
    use super::*;

    proptest! {
        #[test]
        fn no_webhook_body_gets_a_5xx(body in webhook_bodies()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let reply = runtime.block_on(async {
                let request = Request::builder()
                    .method("POST")
                    .uri("/webhooks/adm/orders")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {ADM_KEY}"))
                    .body(Body::from(body))
                    .unwrap();
                call(&app(), request).await
            });
            prop_assert!(!reply.status.is_server_error(), "{} {}", reply.status, reply.text);
            prop_assert!(reply.json.is_object(), "{}", reply.text);
        }
    }
}

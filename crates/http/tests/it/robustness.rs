//! Bad requests of every kind get clear JSON answers, never a 500 that is not a server fault;
//! every non-health route wants a key; the OpenAPI document covers every route and is valid.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use orderbridge_domain::ports::store::MockOrderStore;
use serde_json::Value;

use std::time::Duration;

use crate::slow::{Down, SlowOrders};
use crate::support::{Options, WAREHOUSE_KEY, app, app_with, assert_error, call, get};

#[tokio::test]
async fn an_unknown_route_is_404_json() {
    let reply = call(&app(), get("/v2/everything", Some(WAREHOUSE_KEY))).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "Not Found");
}

#[tokio::test]
async fn a_wrong_method_is_405_json() {
    let request = Request::builder()
        .method("DELETE")
        .uri("/v1/orders")
        .header("authorization", format!("Bearer {WAREHOUSE_KEY}"))
        .body(Body::empty())
        .unwrap();
    assert_error(
        &call(&app(), request).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    );
    let request = Request::builder()
        .method("GET")
        .uri("/webhooks/adm/orders")
        .body(Body::empty())
        .unwrap();
    assert_error(
        &call(&app(), request).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    );
}

#[tokio::test]
async fn a_panic_in_a_handler_is_a_500_and_the_server_keeps_serving() {
    let mut store = MockOrderStore::new();
    store
        .expect_get()
        .returning(|_| panic!("bug in the store adapter"));
    let app = app_with(Options {
        orders: Some(Arc::new(store)),
        ..Options::default()
    });
    let reply = call(
        &app,
        get(
            "/v1/orders/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_error(&reply, StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
    assert!(!reply.text.contains("bug in the store"));
    assert_eq!(
        call(&app, get("/readyz", None)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_answered_503_json() {
    let store = SlowOrders {
        delay: Duration::from_secs(5),
        ..SlowOrders::default()
    };
    let app = app_with(Options {
        orders: Some(Arc::new(store)),
        request_timeout: Some(Duration::from_millis(100)),
        ..Options::default()
    });
    let started = std::time::Instant::now();
    let reply = call(
        &app,
        get(
            "/v1/orders/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_error(&reply, StatusCode::SERVICE_UNAVAILABLE, "Request Timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn readiness_is_503_json_when_the_store_does_not_answer() {
    let app = app_with(Options {
        health: Some(Arc::new(Down)),
        ..Options::default()
    });
    assert_error(
        &call(&app, get("/readyz", None)).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "Not Ready",
    );
    assert_eq!(
        call(&app, get("/healthz", None)).await.status,
        StatusCode::OK,
        "still alive"
    );
}

#[tokio::test]
async fn a_request_id_is_kept_or_made_up_and_returned() {
    let app = app();
    let request = Request::builder()
        .uri("/healthz")
        .header("x-request-id", "req-123")
        .body(Body::empty())
        .unwrap();
    let reply = call(&app, request).await;
    assert_eq!(reply.headers.get("x-request-id").unwrap(), "req-123");
    let reply = call(&app, get("/healthz", None)).await;
    assert_eq!(
        reply.headers.get("x-request-id").unwrap().len(),
        36,
        "a UUID"
    );
    let reply = call(&app, get("/nowhere", None)).await;
    assert!(
        reply.headers.get("x-request-id").is_some(),
        "errors carry it too"
    );
}

fn openapi_document() -> Value {
    serde_json::from_str(&orderbridge_http::openapi_json()).unwrap()
}

/// Every (method, path) of the document, with `{id}` filled in.
fn operations() -> Vec<(String, String)> {
    let document = openapi_document();
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((
                method.to_uppercase(),
                path.replace("{id}", "0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b")
                    .replace("{channel}", "adm"),
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_non_health_route_answers_401_with_no_key_and_with_a_wrong_key() {
    let app = app();
    let open = ["/healthz", "/readyz", "/metrics", "/openapi.json"];
    let mut checked = 0;
    for (method, path) in operations() {
        if open.contains(&path.as_str()) {
            continue;
        }
        for key in [None, Some("wrong-key")] {
            let mut builder = Request::builder()
                .method(method.as_str())
                .uri(&path)
                .header("content-type", "application/json");
            if let Some(key) = key {
                builder = builder.header("authorization", format!("Bearer {key}"));
            }
            let reply = call(&app, builder.body(Body::from("{}")).unwrap()).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 20, "20 protected operations");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let mut listed: Vec<String> = operations()
        .into_iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    listed.sort();
    let id = "0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b";
    let mut expected = vec![
        "POST /webhooks/adm/orders".to_owned(),
        "POST /webhooks/adm/adm/orders".to_owned(),
        "POST /webhooks/adm/orders/cancelled".to_owned(),
        "POST /webhooks/adm/adm/orders/cancelled".to_owned(),
        "GET /v1/orders".to_owned(),
        format!("GET /v1/orders/{id}"),
        format!("POST /v1/orders/{id}/fulfillments"),
        format!("POST /v1/orders/{id}/cancellations"),
        format!("POST /v1/orders/{id}/refunds"),
        "GET /v1/deliveries".to_owned(),
        format!("POST /v1/deliveries/{id}/retry"),
        format!("POST /v1/deliveries/{id}/resolve"),
        "POST /v1/deliveries/retry".to_owned(),
        "GET /v1/channels".to_owned(),
        "POST /v1/channels/adm/pause".to_owned(),
        "POST /v1/channels/adm/resume".to_owned(),
        "GET /v1/inbound".to_owned(),
        format!("GET /v1/inbound/{id}"),
        format!("POST /v1/inbound/{id}/discard"),
        format!("POST /v1/inbound/{id}/replay"),
        "GET /healthz".to_owned(),
        "GET /readyz".to_owned(),
        "GET /metrics".to_owned(),
        "GET /openapi.json".to_owned(),
    ];
    expected.sort();
    assert_eq!(listed, expected);
    // And each one is served: nothing listed answers 404 or 405 for want of a route.
    let app = app();
    for (method, path) in operations() {
        let request = Request::builder()
            .method(method.as_str())
            .uri(&path)
            .header("authorization", format!("Bearer {WAREHOUSE_KEY}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let reply = call(&app, request).await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if reply.status == StatusCode::NOT_FOUND {
            assert_ne!(
                reply.json["message"], "this route was not found",
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let text = orderbridge_http::openapi_json();
    let document = openapi_document();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let spec = oas3::from_json(&text).expect("parses as OpenAPI 3.1");
    let mut operations = 0;
    for (path, method, operation) in spec.operations() {
        operations += 1;
        let responses = operation.responses(&spec);
        assert!(!responses.is_empty(), "{method} {path} has responses");
        if let Some(body) = &operation.request_body {
            body.resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        }
        for parameter in operation
            .parameters(&spec)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
        {
            assert!(!parameter.name.is_empty());
        }
        for (status, response) in &responses {
            for (_, media) in &response.content {
                if let Some(schema) = &media.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"));
                }
            }
            if status.starts_with('4') || status.starts_with('5') {
                let json = response.content.get("application/json");
                assert!(
                    json.is_some(),
                    "{method} {path} {status} documents a JSON error body"
                );
            }
        }
    }
    assert_eq!(operations, 24);
    // Every schema reference points at a defined component.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for reference in text.match_indices("#/components/schemas/") {
        let rest = &text[reference.0 + reference.1.len()..];
        let name: String = rest.chars().take_while(|c| *c != '"').collect();
        assert!(schemas.contains_key(&name), "dangling reference to {name}");
    }
}

//! The OpenAPI document against the API it describes: every operation declares the answers
//! its layers can give, every fixed-value field and parameter lists its values and the API
//! takes and gives exactly those, ids are UUIDs, and the documented limits are the domain's.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use orderbridge_domain::order::{
    CancelReason, EventType, Order, OrderFlag, OrderStatus, RefundReason, RefundReference,
};
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::values::{
    Carrier, ExternalOrderId, Quantity, Sku, TrackingNumber, TrackingUrl,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    Options, WAREHOUSE_KEY, app, app_with, assert_error, call, get, json_request, stored_order,
};

/// Field and parameter names that only ever hold one of a fixed set of values.
const FIXED_VALUE_NAMES: [&str; 5] = ["status", "state", "kind", "reason", "order_status"];

fn document() -> Value {
    serde_json::from_str(&orderbridge_http::openapi_json()).unwrap()
}

fn spec() -> oas3::Spec {
    oas3::from_json(orderbridge_http::openapi_json()).expect("parses as OpenAPI 3.1")
}

/// The statuses an operation must declare, given what it takes.
fn required_statuses(path: &str, secured: bool, has_body: bool) -> Vec<&'static str> {
    let mut statuses = vec!["400", "500", "503"];
    if secured {
        statuses.push("401");
    }
    if has_body {
        statuses.extend(["413", "415"]);
    }
    if path.contains('{') {
        statuses.push("404");
    }
    statuses
}

#[test]
fn every_operation_declares_the_answers_its_layers_can_give() {
    let spec = spec();
    let mut checked = 0;
    for (path, method, operation) in spec.operations() {
        let responses = operation.responses(&spec);
        let secured = !operation.security.is_empty();
        let required = required_statuses(&path, secured, operation.request_body.is_some());
        for status in required {
            let response = responses
                .get(status)
                .unwrap_or_else(|| panic!("{method} {path} does not declare {status}"));
            assert!(
                response.content.contains_key("application/json"),
                "{method} {path} {status} has a JSON body"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 24);
    // The document says which operations are secured: all but the four operations routes.
    let secured = spec
        .operations()
        .filter(|(_, _, o)| !o.security.is_empty())
        .count();
    assert_eq!(secured, 20);
}

/// The document's operations that take a JSON body, with `{id}` filled in.
fn operations_with_a_body() -> Vec<(String, String)> {
    let spec = spec();
    let operations: Vec<(String, String)> = spec
        .operations()
        .filter(|(_, _, o)| o.request_body.is_some())
        .map(|(path, method, _)| {
            (
                method.to_string(),
                path.replace("{id}", &Uuid::nil().to_string())
                    .replace("{channel}", "adm"),
            )
        })
        .collect();
    assert_eq!(
        operations.len(),
        10,
        "the order and cancellation webhooks (sole account and by channel), fulfillments, \
         cancellations, refunds, resolve, bulk retry, pause"
    );
    operations
}

fn with_keys(method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {}", key_for(path)))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

fn key_for(path: &str) -> &'static str {
    if path.starts_with("/webhooks/adm") {
        crate::support::ADM_KEY
    } else {
        WAREHOUSE_KEY
    }
}

#[tokio::test]
async fn every_operation_with_a_body_answers_413_and_415_as_declared() {
    let app = app_with(Options {
        body_limit: Some(64),
        ..Options::default()
    });
    for (method, path) in operations_with_a_body() {
        let wrong_type = with_keys(&method, &path, "text/plain", b"{}".to_vec());
        assert_error(
            &call(&app, wrong_type).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
        );
        let large = format!("{{\"note\":\"{}\"}}", "x".repeat(100));
        let too_large = with_keys(&method, &path, "application/json", large.into_bytes());
        assert_error(
            &call(&app, too_large).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
        );
    }
}

/// The values `schema` allows, following references, unions and array items.
fn enum_values(document: &Value, schema: &Value) -> Option<Vec<String>> {
    if let Some(values) = schema["enum"].as_array() {
        return Some(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return enum_values(document, &document["components"]["schemas"][name]);
    }
    if schema["items"].is_object() {
        return enum_values(document, &schema["items"]);
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|key| schema[*key].as_array())
        .flatten()
        .find_map(|member| enum_values(document, member))
}

/// Every (name, schema) of a property or parameter anywhere in the document.
fn named_schemas<'a>(value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(object) => {
            if let Some(properties) = object.get("properties").and_then(Value::as_object) {
                out.extend(
                    properties
                        .iter()
                        .map(|(name, schema)| (name.clone(), schema)),
                );
            }
            if let Some(parameters) = object.get("parameters").and_then(Value::as_array) {
                out.extend(
                    parameters
                        .iter()
                        .filter_map(|p| Some((p["name"].as_str()?.to_owned(), &p["schema"]))),
                );
            }
            object.values().for_each(|v| named_schemas(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| named_schemas(v, out)),
        _ => {}
    }
}

#[test]
fn every_fixed_value_field_and_parameter_lists_its_values() {
    let document = document();
    let mut found = Vec::new();
    named_schemas(&document, &mut found);
    let mut checked = 0;
    for (name, schema) in found {
        if !FIXED_VALUE_NAMES.contains(&name.as_str()) {
            continue;
        }
        let values = enum_values(&document, schema)
            .unwrap_or_else(|| panic!("{name} lists no values: {schema}"));
        assert!(!values.is_empty(), "{name}");
        checked += 1;
    }
    // OrderOut.status, the two order_status, CancellationOut.reason, CancellationIn.reason,
    // RefundOut.reason, RefundIn.reason, DeliveryOut.kind and state, EventOut.kind,
    // HealthOut.status, and the status and state query parameters.
    assert!(checked >= 13, "{checked} fixed-value names found");
}

/// The values the document lists for a component schema.
fn component_values(document: &Value, name: &str) -> Vec<String> {
    let schema = json!({"$ref": format!("#/components/schemas/{name}")});
    let mut values = enum_values(document, &schema).unwrap_or_default();
    values.sort();
    values
}

fn sorted(names: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    names.sort();
    names
}

#[test]
fn the_listed_values_of_answers_are_the_domain_values() {
    let document = document();
    assert_eq!(
        component_values(&document, "OrderStatus"),
        sorted(OrderStatus::ALL.map(OrderStatus::as_str))
    );
    assert_eq!(
        component_values(&document, "EventType"),
        sorted(EventType::ALL.map(EventType::as_str))
    );
    assert_eq!(
        component_values(&document, "OrderFlag"),
        sorted(OrderFlag::ALL.map(OrderFlag::as_str))
    );
    assert_eq!(
        component_values(&document, "CancelReason"),
        sorted(CancelReason::ALL.map(CancelReason::as_str))
    );
    assert_eq!(
        component_values(&document, "RefundReason"),
        sorted(RefundReason::ALL.map(RefundReason::as_str))
    );
    let states = component_values(&document, "DeliveryState");
    assert_eq!(states.len(), DeliveryState::ALL.len());
    for state in &states {
        assert_eq!(
            DeliveryState::parse(state).map(DeliveryState::as_str),
            Ok(state.as_str())
        );
    }
    let kinds = component_values(&document, "DeliveryKind");
    assert_eq!(kinds.len(), 5);
    for kind in &kinds {
        let parsed = DeliveryKind::from_parts(kind, None, None)
            .or_else(|_| DeliveryKind::from_parts(kind, Some(Uuid::nil()), None));
        assert_eq!(parsed.map(|k| k.name()), Ok(kind.as_str()));
    }
}

#[tokio::test]
async fn the_health_answers_are_the_listed_values() {
    let document = document();
    let app = app();
    let mut answered: Vec<String> = Vec::new();
    for path in ["/healthz", "/readyz"] {
        let reply = call(&app, get(path, None)).await;
        answered.push(reply.json["status"].as_str().unwrap().to_owned());
    }
    answered.sort();
    assert_eq!(component_values(&document, "HealthStatus"), answered);
}

/// The values listed for a query parameter of `GET path`.
fn query_values(document: &Value, path: &str, name: &str) -> Vec<String> {
    let parameters = document["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap();
    let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
    enum_values(document, &parameter["schema"]).unwrap()
}

#[tokio::test]
async fn every_listed_delivery_state_is_accepted_and_no_other() {
    let document = document();
    let app = app();
    let states = query_values(&document, "/v1/deliveries", "state");
    assert_eq!(states.len(), DeliveryState::ALL.len());
    for state in states {
        let reply = call(
            &app,
            get(
                &format!("/v1/deliveries?state={state}"),
                Some(WAREHOUSE_KEY),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{state}: {}", reply.text);
    }
    let reply = call(&app, get("/v1/deliveries?state=lost", Some(WAREHOUSE_KEY))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
}

#[tokio::test]
async fn every_listed_order_status_is_accepted_alone_and_together_and_no_other() {
    let document = document();
    let app = app();
    let statuses = query_values(&document, "/v1/orders", "status");
    assert_eq!(statuses.len(), 4);
    let parameter = document["paths"]["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap();
    assert_eq!(
        (&parameter["style"], &parameter["explode"]),
        (&json!("form"), &json!(false)),
        "a comma-separated list"
    );
    for query in statuses.iter().cloned().chain([statuses.join(",")]) {
        let reply = call(
            &app,
            get(&format!("/v1/orders?status={query}"), Some(WAREHOUSE_KEY)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    }
    let reply = call(
        &app,
        get("/v1/orders?status=open,shipped", Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
}

fn post(path: &str, body: &Value) -> Request<Body> {
    json_request("POST", path, Some(WAREHOUSE_KEY), &body.to_string())
}

#[tokio::test]
async fn every_listed_cancellation_reason_is_accepted_and_no_other() {
    let document = document();
    let app = app();
    let reasons = component_values(&document, "CancelReason");
    for (n, reason) in reasons.iter().enumerate() {
        let id = stored_order(&app, &format!("CR{n}")).await;
        let body = json!({"reason": reason, "line_items": [{"sku": "ABC-123", "quantity": 1}]});
        let reply = call(&app, post(&format!("/v1/orders/{id}/cancellations"), &body)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{reason}: {}",
            reply.text
        );
        assert_eq!(reply.json["cancellation"]["reason"], reason.as_str());
    }
    let id = stored_order(&app, "CR-bad").await;
    let reply = call(
        &app,
        post(
            &format!("/v1/orders/{id}/cancellations"),
            &json!({"reason": "bored"}),
        ),
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
}

#[tokio::test]
async fn every_listed_refund_reason_is_accepted_and_no_other() {
    let document = document();
    let app = app();
    let id = stored_order(&app, "RR").await;
    let path = format!("/v1/orders/{id}/refunds");
    for reason in component_values(&document, "RefundReason") {
        let body = json!({"reason": reason, "lines": [{"line": 1, "amount": "1.00"}]});
        let reply = call(&app, post(&path, &body)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{reason}: {}",
            reply.text
        );
        assert_eq!(reply.json["refund"]["reason"], reason.as_str());
    }
    let body = json!({"reason": "whim", "lines": [{"line": 1, "amount": "1.00"}]});
    assert_error(
        &call(&app, post(&path, &body)).await,
        StatusCode::BAD_REQUEST,
        "Invalid Request",
    );
}

#[test]
fn every_id_path_parameter_is_a_uuid() {
    let document = document();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                if (parameter["in"] == "path" && name == "id") || name == "order_id" {
                    assert_eq!(
                        parameter["schema"]["format"], "uuid",
                        "{method} {path} {name}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked, 10,
        "nine {{id}} operations and the order_id filter"
    );
    // And every `id` field of an answer.
    let mut found = Vec::new();
    named_schemas(&document["components"], &mut found);
    for (name, schema) in found {
        if name == "id" {
            assert_eq!(schema["format"], "uuid", "{schema}");
        }
    }
}

/// The schema of a property of a component.
fn property<'a>(document: &'a Value, component: &str, name: &str) -> &'a Value {
    &document["components"]["schemas"][component]["properties"][name]
}

#[test]
fn the_documented_limits_are_the_domain_limits() {
    let document = document();
    let max_length = |component: &str, name: &str| {
        property(&document, component, name)["maxLength"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
    };
    assert_eq!(max_length("SkuQuantity", "sku"), Some(Sku::MAX_LEN));
    assert_eq!(
        max_length("FulfillmentIn", "tracking_number"),
        Some(TrackingNumber::MAX_LEN)
    );
    assert_eq!(
        max_length("FulfillmentIn", "carrier"),
        Some(Carrier::MAX_LEN)
    );
    assert_eq!(
        max_length("FulfillmentIn", "tracking_url"),
        Some(TrackingUrl::MAX_LEN)
    );
    assert_eq!(
        max_length("RefundIn", "reference"),
        Some(RefundReference::MAX_LEN)
    );
    assert_eq!(
        property(&document, "SkuQuantity", "quantity")["maximum"],
        json!(Quantity::MAX)
    );
    for component in ["CancellationIn", "RefundIn"] {
        assert_eq!(max_length(component, "note"), Some(Order::NOTE.max()));
    }
    for (component, name) in [
        ("FulfillmentIn", "line_items"),
        ("CancellationIn", "line_items"),
        ("RefundIn", "lines"),
    ] {
        let items = &property(&document, component, name);
        let max_items = items["maxItems"]
            .as_u64()
            .or_else(|| items["oneOf"][0]["maxItems"].as_u64());
        assert_eq!(
            max_items,
            u64::try_from(Order::MAX_LINES).ok(),
            "{component}.{name}: {items}"
        );
    }
    let external = document["paths"]["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "external_id")
        .unwrap();
    assert_eq!(
        external["schema"]["maxLength"],
        json!(ExternalOrderId::MAX_LEN)
    );
    let on_hold = document["paths"]["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "on_hold")
        .unwrap();
    assert_eq!(on_hold["in"], "query");
    assert!(
        on_hold["schema"]["type"] == "boolean"
            || on_hold["schema"]["type"] == json!(["boolean", "null"]),
        "{on_hold}"
    );
}

#[tokio::test]
async fn the_documented_page_sizes_are_accepted_and_the_ones_beyond_refused() {
    let document = document();
    let app = app();
    for path in ["/v1/orders", "/v1/deliveries"] {
        let parameters = document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = &parameters.iter().find(|p| p["name"] == "limit").unwrap()["schema"];
        let (min, max) = (
            limit["minimum"].as_u64().unwrap(),
            limit["maximum"].as_u64().unwrap(),
        );
        assert_eq!((min, max), (1, 500));
        for (value, status) in [
            (min, StatusCode::OK),
            (max, StatusCode::OK),
            (min - 1, StatusCode::BAD_REQUEST),
            (max + 1, StatusCode::BAD_REQUEST),
        ] {
            let reply = call(
                &app,
                get(&format!("{path}?limit={value}"), Some(WAREHOUSE_KEY)),
            )
            .await;
            assert_eq!(reply.status, status, "{path}?limit={value}: {}", reply.text);
        }
    }
}

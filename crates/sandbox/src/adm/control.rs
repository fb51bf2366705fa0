//! The fake ADM's control paths under `/_sandbox/`, for a driver in another process:
//! register orders, read the fulfillments accepted and the request log, reset. They take no
//! key, get no faults and are not logged.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::adm::routes::AdmApp;
use crate::adm::store::ReceivedFulfillment;
use crate::adm::wire;
use crate::kit::server::json_error;

/// Registers a known order: `{"id": "123" | 123, "line_items": [{"sku", "quantity"}]}`.
pub const ORDERS_PATH: &str = "/_sandbox/orders";
/// Lists accepted fulfillments: `{"accepted_count", "duplicates", "fulfillments": [..]}`.
pub const FULFILLMENTS_PATH: &str = "/_sandbox/fulfillments";
/// Lists the request log: `{"requests": [..]}`.
pub const REQUESTS_PATH: &str = "/_sandbox/requests";
/// Forgets orders, records, recorded answers and faults.
pub const RESET_PATH: &str = "/_sandbox/reset";

pub(crate) fn routes() -> Router<Arc<AdmApp>> {
    Router::new()
        .route(ORDERS_PATH, post(register_order))
        .route(FULFILLMENTS_PATH, get(list_fulfillments))
        .route(REQUESTS_PATH, get(list_requests))
        .route(RESET_PATH, post(reset))
}

async fn register_order(State(app): State<Arc<AdmApp>>, body: Bytes) -> Response {
    match parse_registration(&body) {
        Some((id, lines)) => {
            let refs: Vec<(&str, u32)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
            app.store.register(&id, &refs);
            axum::Json(json!({ "registered": id })).into_response()
        }
        None => json_error(
            StatusCode::BAD_REQUEST,
            "Invalid Order",
            "expected {\"id\": string or integer, \"line_items\": [{\"sku\": string, \
             \"quantity\": integer >= 1}, ..]}",
        ),
    }
}

fn parse_registration(body: &[u8]) -> Option<(String, Vec<(String, u32)>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = wire::order_id_text(value.get("id")?)?;
    let items = value.get("line_items")?.as_array()?;
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let sku = item.get("sku")?.as_str()?.trim();
        let quantity = u32::try_from(item.get("quantity")?.as_u64()?).ok()?;
        if sku.is_empty() || quantity == 0 {
            return None;
        }
        lines.push((sku.to_owned(), quantity));
    }
    (!lines.is_empty()).then_some((id, lines))
}

async fn list_fulfillments(State(app): State<Arc<AdmApp>>) -> Response {
    let fulfillments: Vec<Value> = app
        .store
        .accepted()
        .iter()
        .map(ReceivedFulfillment::to_json)
        .collect();
    axum::Json(json!({
        "accepted_count": app.store.accepted_count(),
        "duplicates": app.store.duplicates(),
        "fulfillments": fulfillments,
    }))
    .into_response()
}

async fn list_requests(State(app): State<Arc<AdmApp>>) -> Response {
    let requests: Vec<Value> = app.log.entries().iter().map(wire::request_json).collect();
    axum::Json(json!({ "requests": requests })).into_response()
}

async fn reset(State(app): State<Arc<AdmApp>>) -> Response {
    app.reset();
    axum::Json(json!({ "reset": true })).into_response()
}

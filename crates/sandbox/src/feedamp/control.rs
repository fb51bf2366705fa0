//! The fake FeedAMP's control paths under `/_sandbox/`, for a driver in another process: add
//! generated orders, cancel, pause and release an order as the marketplace would, expire
//! tokens, read orders, refunds and the request log, reset. They take no credentials, get no
//! faults and are not logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::feedamp::generator::FeedampOrderGenerator;
use crate::feedamp::routes::FeedampApp;
use crate::feedamp::store::MarketplaceAction;
use crate::feedamp::wire::{ApiError, error_response};
use crate::kit::log::{RequestLog, max_in_window};

/// `POST {"count": n, "seed": s}` adds `n` orders from the generator seeded with `s` and
/// answers `{"added": [ids]}`; `GET` lists every order as `{"orders": [{"id", "state",
/// "confirm_count", "fulfil_calls", "paused", "fulfilment"}], "unconfirmed"}`.
pub const CONTROL_ORDERS_PATH: &str = "/_sandbox/orders";
/// `POST`: the marketplace cancels the order; its `state` reads `CANCELLED` from now on and it
/// takes no other fulfilment. Answers `{"order": Order}` as `GET /api/v1/orders/{id}` serves
/// it; `404` for an unknown id.
pub const CANCEL_ORDER_PATH: &str = "/_sandbox/orders/{id}/cancel";
/// `POST`: the marketplace pauses the order (`paused: 1`); fulfil calls get `400` until it is
/// released. Answers as [`CANCEL_ORDER_PATH`].
pub const PAUSE_ORDER_PATH: &str = "/_sandbox/orders/{id}/pause";
/// `POST`: the marketplace releases a paused order (`paused: 0`). Answers as
/// [`CANCEL_ORDER_PATH`].
pub const RELEASE_ORDER_PATH: &str = "/_sandbox/orders/{id}/release";
/// `POST` expires every live token now: `{"expired": n}`.
pub const EXPIRE_TOKENS_PATH: &str = "/_sandbox/expire-tokens";
/// `GET` the request log: `{"requests": [..], "max_requests_in_any_second", "token_fetches"}`.
pub const REQUESTS_PATH: &str = "/_sandbox/requests";
/// `GET` the refunds posted: `{"refunds": [{"order_id", "refund_info"}], "duplicate_refunds"}`.
pub const REFUNDS_PATH: &str = "/_sandbox/refunds";
/// `POST` forgets orders, refunds, tokens, the log and every fault.
pub const RESET_PATH: &str = "/_sandbox/reset";
/// The faults of the token route (the data routes' are at [`crate::faults::FAULTS_PATH`]).
pub const TOKEN_FAULTS_PATH: &str = "/_sandbox/token-faults";

/// The most orders one control call adds.
const MAX_GENERATED: u64 = 100_000;

pub(crate) fn routes() -> Router<Arc<FeedampApp>> {
    Router::new()
        .route(CONTROL_ORDERS_PATH, post(add_orders).get(list_orders))
        .route(CANCEL_ORDER_PATH, post(cancel_order))
        .route(PAUSE_ORDER_PATH, post(pause_order))
        .route(RELEASE_ORDER_PATH, post(release_order))
        .route(EXPIRE_TOKENS_PATH, post(expire_tokens))
        .route(REQUESTS_PATH, get(list_requests))
        .route(REFUNDS_PATH, get(list_refunds))
        .route(RESET_PATH, post(reset))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Generate {
    count: u64,
    #[serde(default = "default_seed")]
    seed: u64,
}

fn default_seed() -> u64 {
    1
}

async fn add_orders(State(app): State<Arc<FeedampApp>>, body: Bytes) -> Response {
    let plan = match serde_json::from_slice::<Generate>(&body) {
        Ok(plan) if plan.count <= MAX_GENERATED => plan,
        Ok(_) => {
            return error_response(&ApiError::bad_request(format!(
                "count must be at most {MAX_GENERATED}"
            )));
        }
        Err(error) => {
            return error_response(&ApiError::bad_request(format!(
                "expected {{\"count\": n, \"seed\": s}}: {error}"
            )));
        }
    };
    let count = usize::try_from(plan.count).unwrap_or(0);
    let orders = FeedampOrderGenerator::new(plan.seed).take(count).collect();
    match app.store.add(orders) {
        Ok(ids) => axum::Json(json!({ "added": ids })).into_response(),
        Err(error) => error_response(&ApiError::new(StatusCode::CONFLICT, error.to_string())),
    }
}

async fn list_orders(State(app): State<Arc<FeedampApp>>) -> Response {
    axum::Json(app.store.summary()).into_response()
}

async fn cancel_order(State(app): State<Arc<FeedampApp>>, Path(id): Path<String>) -> Response {
    act(&app, &id, MarketplaceAction::Cancel)
}

async fn pause_order(State(app): State<Arc<FeedampApp>>, Path(id): Path<String>) -> Response {
    act(&app, &id, MarketplaceAction::Pause)
}

async fn release_order(State(app): State<Arc<FeedampApp>>, Path(id): Path<String>) -> Response {
    act(&app, &id, MarketplaceAction::Release)
}

fn act(app: &FeedampApp, id: &str, action: MarketplaceAction) -> Response {
    match app.store.marketplace(id, action) {
        Ok(order) => axum::Json(json!({ "order": order })).into_response(),
        Err(error) => error_response(&error),
    }
}

async fn expire_tokens(State(app): State<Arc<FeedampApp>>) -> Response {
    let expired = app.tokens().expire_all(Instant::now());
    axum::Json(json!({ "expired": expired })).into_response()
}

async fn list_requests(State(app): State<Arc<FeedampApp>>) -> Response {
    let entries = app.log.entries();
    let busiest = max_in_window(
        entries.iter().map(|entry| entry.since_start),
        Duration::from_secs(1),
    );
    let requests: Vec<Value> = entries.iter().map(RequestLog::to_json).collect();
    let token_fetches = app.tokens().issued();
    axum::Json(json!({
        "requests": requests,
        "max_requests_in_any_second": busiest,
        "token_fetches": token_fetches,
    }))
    .into_response()
}

async fn list_refunds(State(app): State<Arc<FeedampApp>>) -> Response {
    let refunds: Vec<Value> = app
        .store
        .refunds()
        .into_iter()
        .map(|(order_id, info)| json!({"order_id": order_id, "refund_info": info}))
        .collect();
    axum::Json(json!({
        "refunds": refunds,
        "duplicate_refunds": app.store.duplicate_refunds(),
    }))
    .into_response()
}

async fn reset(State(app): State<Arc<FeedampApp>>) -> Response {
    app.reset();
    axum::Json(json!({ "reset": true })).into_response()
}

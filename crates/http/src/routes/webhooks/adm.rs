//! ADM's `orders/create` webhook in the OpenAPI document: `/webhooks/adm/orders` for a sole ADM
//! account, `/webhooks/adm/{channel}/orders` for each of several. The `orderbridge-adm` crate
//! answers them exactly as ADM's documentation shows: 200 with the created order's lines, 400,
//! 401, 409, 500. Beside each, `.../orders/cancelled` takes ADM's cancellations (design section
//! 11, our reading): the Order resource with `cancelled_at` set.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use orderbridge_adm::webhook::{ORDERS, ORDERS_CANCELLED};

use super::deliver;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

const MARKETPLACE: &str = "adm";

/// Receives a new order from the sole ADM account. It is stored durably before the answer.
#[utoipa::path(post, path = "/webhooks/adm/orders", tag = "adm",
    security(("adm_key" = [])),
    request_body(content = serde_json::Value, description = "ADM's orders/create payload", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored: the order id and its lines", body = serde_json::Value),
        (status = 400, description = "Invalid SKU or Quantity (no line, a line without SKU, a quantity that is not a whole number of at least 1), malformed JSON, or an id or amount that cannot be read. Fields that only inform (email, address, country, dates) never refuse an order: they are flagged on it", body = ErrorBody),
        (status = 401, description = "Unauthorized Request: the key, the HMAC signature or the Standard Webhooks signature is missing or wrong, or its webhook-timestamp is more than 5 minutes away", body = ErrorBody),
        (status = 404, description = "No ADM account, or several (then use the channel's path)", body = ErrorBody),
        (status = 409, description = "Order Already Created; or Webhook Already Received, a webhook-id received within the last 5 minutes (with Standard Webhooks signatures on)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 500, description = "Server Error", body = ErrorBody),
        (status = 503, description = "The store cannot be reached: the seed's Server Error body, with `Retry-After`", body = ErrorBody),
    ))]
pub(crate) async fn adm_order(State(state): State<AppState>, request: Request) -> Response {
    let Some(hook) = state.webhooks.sole(MARKETPLACE).cloned() else {
        return ApiError::not_found("the ADM channel").into_response();
    };
    deliver(&state, &hook, ORDERS, request).await
}

/// Receives a new order from the ADM account `channel`. It is stored durably before the
/// answer.
#[utoipa::path(post, path = "/webhooks/adm/{channel}/orders", tag = "adm",
    security(("adm_key" = [])),
    params(("channel" = String, Path, description = "The ADM account's channel id")),
    request_body(content = serde_json::Value, description = "ADM's orders/create payload", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored: the order id and its lines", body = serde_json::Value),
        (status = 400, description = "Invalid SKU or Quantity (no line, a line without SKU, a quantity that is not a whole number of at least 1), malformed JSON, or an id or amount that cannot be read. Fields that only inform (email, address, country, dates) never refuse an order: they are flagged on it", body = ErrorBody),
        (status = 401, description = "Unauthorized Request: the key, the HMAC signature or the Standard Webhooks signature is missing or wrong, or its webhook-timestamp is more than 5 minutes away", body = ErrorBody),
        (status = 404, description = "No ADM account with this channel id", body = ErrorBody),
        (status = 409, description = "Order Already Created; or Webhook Already Received, a webhook-id received within the last 5 minutes (with Standard Webhooks signatures on)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 500, description = "Server Error", body = ErrorBody),
        (status = 503, description = "The store cannot be reached: the seed's Server Error body, with `Retry-After`", body = ErrorBody),
    ))]
pub(crate) async fn adm_account_order(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    request: Request,
) -> Response {
    let Some(hook) = state.webhooks.account(MARKETPLACE, &channel).cloned() else {
        return ApiError::not_found(&format!("the ADM channel {channel:?}")).into_response();
    };
    deliver(&state, &hook, ORDERS, request).await
}

/// Receives a cancellation from the sole ADM account: the Order resource (at least its `id`)
/// with `cancelled_at` and `cancel_reason`. Every unit not shipped is cancelled by the
/// marketplace (never reported back); a cancellation of an order not received yet is kept and
/// applied when it arrives. The same authentication as the order webhook.
#[utoipa::path(post, path = "/webhooks/adm/orders/cancelled", tag = "adm",
    security(("adm_key" = [])),
    request_body(content = serde_json::Value, description = "ADM's Order resource with cancelled_at set", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded: `{\"order_id\", \"status\": \"cancelled\"}` (also when the order is not received yet, or was cancelled already)", body = serde_json::Value),
        (status = 400, description = "Malformed JSON, or no usable id; the body is kept in the inbound quarantine", body = ErrorBody),
        (status = 401, description = "Unauthorized Request: the key, the HMAC signature or the Standard Webhooks signature is missing or wrong, or its webhook-timestamp is more than 5 minutes away", body = ErrorBody),
        (status = 404, description = "No ADM account, or several (then use the channel's path)", body = ErrorBody),
        (status = 409, description = "Webhook Already Received, a webhook-id received within the last 5 minutes (with Standard Webhooks signatures on)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 500, description = "Server Error", body = ErrorBody),
        (status = 503, description = "The store cannot be reached: the seed's Server Error body, with `Retry-After`", body = ErrorBody),
    ))]
pub(crate) async fn adm_order_cancelled(
    State(state): State<AppState>,
    request: Request,
) -> Response {
    let Some(hook) = state.webhooks.sole(MARKETPLACE).cloned() else {
        return ApiError::not_found("the ADM channel").into_response();
    };
    deliver(&state, &hook, ORDERS_CANCELLED, request).await
}

/// Receives a cancellation from the ADM account `channel` (see the sole account's route).
#[utoipa::path(post, path = "/webhooks/adm/{channel}/orders/cancelled", tag = "adm",
    security(("adm_key" = [])),
    params(("channel" = String, Path, description = "The ADM account's channel id")),
    request_body(content = serde_json::Value, description = "ADM's Order resource with cancelled_at set", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded: `{\"order_id\", \"status\": \"cancelled\"}` (also when the order is not received yet, or was cancelled already)", body = serde_json::Value),
        (status = 400, description = "Malformed JSON, or no usable id; the body is kept in the inbound quarantine", body = ErrorBody),
        (status = 401, description = "Unauthorized Request: the key, the HMAC signature or the Standard Webhooks signature is missing or wrong, or its webhook-timestamp is more than 5 minutes away", body = ErrorBody),
        (status = 404, description = "No ADM account with this channel id", body = ErrorBody),
        (status = 409, description = "Webhook Already Received, a webhook-id received within the last 5 minutes (with Standard Webhooks signatures on)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 500, description = "Server Error", body = ErrorBody),
        (status = 503, description = "The store cannot be reached: the seed's Server Error body, with `Retry-After`", body = ErrorBody),
    ))]
pub(crate) async fn adm_account_order_cancelled(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    request: Request,
) -> Response {
    let Some(hook) = state.webhooks.account(MARKETPLACE, &channel).cloned() else {
        return ApiError::not_found(&format!("the ADM channel {channel:?}")).into_response();
    };
    deliver(&state, &hook, ORDERS_CANCELLED, request).await
}

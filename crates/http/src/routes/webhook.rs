//! ADM's `orders/create` webhook, answered exactly as ADM's documentation shows: 200 with the
//! created order's lines, 400, 401, 409, 500.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use orderbridge_adm::webhook::{self, ErrorText};
use orderbridge_domain::order::NewOrderError;
use orderbridge_domain::services::{IngestError, Ingested};

use crate::AppState;
use crate::auth::{check_key, signature_matches};
use crate::error::{ApiError, ErrorBody, INVALID_LINES};
use crate::extract::JsonBytes;

fn text(status: StatusCode, text: &ErrorText) -> ApiError {
    ApiError::new(status, text.error, text.message)
}

/// Receives a new order from ADM. It is stored durably before the answer.
#[utoipa::path(post, path = "/webhooks/adm/orders", tag = "adm",
    security(("adm_key" = [])),
    request_body(content = serde_json::Value, description = "ADM's orders/create payload", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored: the order id and its lines", body = serde_json::Value),
        (status = 400, description = "Invalid SKU or Quantity, malformed JSON, or another invalid field", body = ErrorBody),
        (status = 401, description = "Unauthorized Request", body = ErrorBody),
        (status = 404, description = "The ADM channel is not configured", body = ErrorBody),
        (status = 409, description = "Order Already Created", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 500, description = "Server Error", body = ErrorBody),
    ))]
pub(crate) async fn adm_order(State(state): State<AppState>, request: Request) -> Response {
    let Some(adm) = state.adm.as_deref() else {
        return ApiError::not_found("the ADM channel").into_response();
    };
    // The key is checked before the body is read, so that strangers learn nothing more.
    if check_key(&adm.keys, request.headers(), adm.key_header.as_deref()).is_err() {
        return text(StatusCode::UNAUTHORIZED, &webhook::UNAUTHORIZED).into_response();
    }
    let headers: HeaderMap = request.headers().clone();
    let bytes = match JsonBytes::from_request(request, &()).await {
        Ok(JsonBytes(bytes)) => bytes,
        Err(e) => return e.into_response(),
    };
    if let Some(secret) = &adm.signing_secret {
        let signature = headers
            .get(adm.signature_header.as_str())
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !signature_matches(secret, &bytes, signature) {
            tracing::warn!(channel = %adm.settings.channel, "webhook signature missing or wrong");
            return text(StatusCode::UNAUTHORIZED, &webhook::UNAUTHORIZED).into_response();
        }
    }
    let new = match webhook::parse_order(&bytes, &adm.settings, state.clock.now()) {
        Ok(new) => new,
        Err(rejection) => {
            tracing::info!(channel = %adm.settings.channel, error = rejection.error, reason = %rejection.message, "webhook rejected");
            return ApiError::bad_request(rejection.error, rejection.message).into_response();
        }
    };
    let external_id = new.external_id.clone();
    match state.service.ingest(new).await {
        Ok(Ingested::Created(order)) => {
            metrics::counter!("orderbridge_orders_received_total", "channel" => order.channel().to_string())
                .increment(1);
            tracing::info!(order_id = %order.id(), external_id = %external_id, channel = %order.channel(), "order received");
            (StatusCode::OK, Json(webhook::created_body(&order))).into_response()
        }
        Ok(Ingested::Duplicate(existing)) => {
            tracing::info!(order_id = %existing, external_id = %external_id, "order already created");
            text(StatusCode::CONFLICT, &webhook::ALREADY_CREATED).into_response()
        }
        Err(IngestError::Invalid(e @ NewOrderError::NoLines)) => {
            ApiError::bad_request(INVALID_LINES, format!("line_items: {e}")).into_response()
        }
        Err(IngestError::Invalid(e)) => {
            ApiError::bad_request("Invalid Order", format!("line_items: {e}")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, external_id = %external_id, "could not store a webhook order");
            text(StatusCode::INTERNAL_SERVER_ERROR, &webhook::SERVER_ERROR).into_response()
        }
    }
}

//! The warehouse API's order routes: list, read, fulfil, cancel, refund.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use orderbridge_domain::order::{Fulfilled, Order, OrderStatus, Refunded};
use orderbridge_domain::ports::store::{DeliveryQuery, OrderCursor, OrderQuery};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};

use crate::AppState;
use crate::dto::fields::{invalid, limit, time};
use crate::dto::{
    self, CancellationIn, CancellationRecordedOut, FulfillmentIn, FulfillmentRecordedOut,
    OrderDetailOut, OrderPageOut, OrdersQuery, RefundIn, RefundRecordedOut,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams};

fn order_id(raw: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(raw).map_err(|_| ApiError::bad_request("Invalid Request", "id: expected a UUID"))
}

fn encode_cursor(cursor: OrderCursor) -> String {
    let text = format!("{}_{}", cursor.updated_at.timestamp_micros(), cursor.id);
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(raw: &str) -> Result<OrderCursor, ApiError> {
    let bad = || ApiError::bad_request("Invalid Query", "cursor: not a cursor this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    let updated_at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = OrderId::parse(id).map_err(|_| bad())?;
    Ok(OrderCursor { updated_at, id })
}

/// The `on_hold` filter: `true` or `false`.
fn hold_filter(raw: &str) -> Result<bool, ApiError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(
            "Invalid Query",
            "on_hold: expected true or false",
        )),
    }
}

async fn deliveries_of(
    state: &AppState,
    order: &Order,
) -> Result<Vec<orderbridge_domain::outbox::Delivery>, ApiError> {
    let query = DeliveryQuery {
        state: None,
        order_id: Some(order.id()),
        after: None,
        limit: 1_000,
        ..DeliveryQuery::default()
    };
    Ok(state.deliveries.deliveries(&query).await?)
}

/// Lists orders, oldest change first, a page at a time.
#[utoipa::path(get, path = "/v1/orders", tag = "warehouse", security(("warehouse_key" = [])),
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page of orders", body = OrderPageOut),
        (status = 400, description = "A bad filter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<OrdersQuery>,
) -> Result<Json<OrderPageOut>, ApiError> {
    let statuses = match query.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| OrderStatus::parse(s.trim()).map_err(invalid("status")))
            .collect::<Result<_, _>>()?,
    };
    let channel = query
        .channel
        .as_deref()
        .map(|c| ChannelId::parse(c).map_err(invalid("channel")))
        .transpose()?;
    let on_hold = query.on_hold.as_deref().map(hold_filter).transpose()?;
    if let Some(external) = query.external_id.as_deref() {
        let channel = channel.ok_or_else(|| {
            ApiError::bad_request("Invalid Query", "external_id: needs channel as well")
        })?;
        let external = ExternalOrderId::parse(external).map_err(invalid("external_id"))?;
        let found = state.service.order_by_external(&channel, &external).await?;
        return Ok(Json(OrderPageOut {
            orders: found.iter().map(|o| dto::order(o, &[])).collect(),
            next_cursor: None,
        }));
    }
    let updated_after = query
        .updated_after
        .as_deref()
        .map(|t| time("updated_after", t))
        .transpose()?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = state
        .service
        .orders(&OrderQuery {
            statuses,
            channel,
            updated_after,
            on_hold,
            after,
            limit: limit(query.limit)?,
        })
        .await?;
    Ok(Json(OrderPageOut {
        orders: page.orders.iter().map(|o| dto::order(o, &[])).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// One order with its lines, shipments and their delivery state, cancellations, refunds and
/// history.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "orderbridge's order id")),
    responses(
        (status = 200, description = "The order", body = OrderDetailOut),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
    ))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderDetailOut>, ApiError> {
    let id = order_id(&id)?;
    let order = state
        .service
        .order(id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("order {id}")))?;
    let deliveries = deliveries_of(&state, &order).await?;
    Ok(Json(dto::order_detail(&order, &deliveries)))
}

/// Records one package. The same tracking number with the same lines again is answered 200
/// with the shipment already recorded.
#[utoipa::path(post, path = "/v1/orders/{id}/fulfillments", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "orderbridge's order id")),
    request_body = FulfillmentIn,
    responses(
        (status = 201, description = "Recorded, and queued for the marketplace", body = FulfillmentRecordedOut),
        (status = 200, description = "A replay of a shipment already recorded", body = FulfillmentRecordedOut),
        (status = 400, description = "Invalid SKU or Quantity, or another invalid field", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "The order is cancelled (by the warehouse or the marketplace) or on hold at the marketplace, or the tracking number is used with other lines", body = ErrorBody),
    ))]
pub(crate) async fn create_fulfillment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<FulfillmentIn>,
) -> Result<(StatusCode, Json<FulfillmentRecordedOut>), ApiError> {
    let id = order_id(&id)?;
    let request = body.to_request()?;
    let recorded = state.service.record_fulfillment(id, &request).await?;
    let fulfillment = recorded
        .order
        .fulfillment(recorded.outcome.id())
        .ok_or_else(ApiError::server_error)?;
    let (status, replayed) = match recorded.outcome {
        Fulfilled::Created(_) => {
            metrics::counter!("orderbridge_fulfillments_recorded_total", "channel" => recorded.order.channel().to_string())
                .increment(1);
            tracing::info!(order_id = %id, fulfillment_id = %fulfillment.id(), units = fulfillment.units(), "fulfillment recorded");
            (StatusCode::CREATED, false)
        }
        Fulfilled::Replayed(_) => (StatusCode::OK, true),
    };
    let deliveries = deliveries_of(&state, &recorded.order).await?;
    Ok((
        status,
        Json(FulfillmentRecordedOut {
            replayed,
            fulfillment: dto::fulfillment(fulfillment, &deliveries),
            order_status: recorded.order.status().into(),
            units: dto::order_units(&recorded.order),
        }),
    ))
}

/// Cancels units, or everything not yet shipped when `line_items` is left out.
#[utoipa::path(post, path = "/v1/orders/{id}/cancellations", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "orderbridge's order id")),
    request_body = CancellationIn,
    responses(
        (status = 201, description = "Recorded", body = CancellationRecordedOut),
        (status = 400, description = "Invalid reason, SKU or quantity", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Nothing left to cancel", body = ErrorBody),
    ))]
pub(crate) async fn create_cancellation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CancellationIn>,
) -> Result<(StatusCode, Json<CancellationRecordedOut>), ApiError> {
    let id = order_id(&id)?;
    let request = body.to_request()?;
    let cancelled = state.service.cancel(id, &request).await?;
    let cancellation = cancelled
        .order
        .cancellation(cancelled.id)
        .ok_or_else(ApiError::server_error)?;
    tracing::info!(order_id = %id, cancellation_id = %cancelled.id, units = cancellation.units(), "cancellation recorded");
    Ok((
        StatusCode::CREATED,
        Json(CancellationRecordedOut {
            cancellation: dto::cancellation(cancellation),
            order_status: cancelled.order.status().into(),
            units: dto::order_units(&cancelled.order),
        }),
    ))
}

/// Records a refund, per order line.
#[utoipa::path(post, path = "/v1/orders/{id}/refunds", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "orderbridge's order id")),
    request_body = RefundIn,
    responses(
        (status = 201, description = "Recorded", body = RefundRecordedOut),
        (status = 200, description = "A replay of a refund already recorded under this reference", body = RefundRecordedOut),
        (status = 400, description = "An invalid line, amount or reason, or more than was paid", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "The reference is used with other lines", body = ErrorBody),
    ))]
pub(crate) async fn create_refund(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RefundIn>,
) -> Result<(StatusCode, Json<RefundRecordedOut>), ApiError> {
    let id = order_id(&id)?;
    let order = state
        .service
        .order(id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("order {id}")))?;
    let request = body.to_request(order.currency())?;
    let recorded = state.service.refund(id, &request).await?;
    let refund = recorded
        .order
        .refund_by_id(recorded.outcome.id())
        .ok_or_else(ApiError::server_error)?;
    let (status, replayed) = match recorded.outcome {
        Refunded::Created(_) => {
            tracing::info!(order_id = %id, refund_id = %refund.id(), "refund recorded");
            (StatusCode::CREATED, false)
        }
        Refunded::Replayed(_) => (StatusCode::OK, true),
    };
    Ok((
        status,
        Json(RefundRecordedOut {
            replayed,
            refund: dto::refund(refund),
            refunded_total: recorded.order.refunded_total(),
        }),
    ))
}

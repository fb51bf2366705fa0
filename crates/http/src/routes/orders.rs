//! The warehouse API's order routes: list, read, fulfil, cancel, refund.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Fulfilled, Order, OrderStatus, Refunded};
use orderbridge_domain::ports::store::{
    DeadlineCursor, DeliveryQuery, OrderCursor, OrderQuery, OverdueQuery,
};
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

/// A position in a listing: by change time (`GET /v1/orders`) or by deadline (with
/// `overdue=true`). Both are opaque to clients; a deadline cursor's text starts with
/// [`DEADLINE`], so that neither is taken for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Updated(OrderCursor),
    Deadline(DeadlineCursor),
}

/// The mark of a deadline cursor.
const DEADLINE: &str = "deadline_";

fn encode_cursor(cursor: Cursor) -> String {
    let text = match cursor {
        Cursor::Updated(c) => format!("{}_{}", c.updated_at.timestamp_micros(), c.id),
        Cursor::Deadline(c) => format!("{DEADLINE}{}_{}", c.deliver_by.timestamp_micros(), c.id),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(raw: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::bad_request("Invalid Query", "cursor: not a cursor this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (deadline, key) = match text.strip_prefix(DEADLINE) {
        Some(key) => (true, key),
        None => (false, text.as_str()),
    };
    let (micros, id) = key.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = OrderId::parse(id).map_err(|_| bad())?;
    Ok(if deadline {
        Cursor::Deadline(DeadlineCursor { deliver_by: at, id })
    } else {
        Cursor::Updated(OrderCursor { updated_at: at, id })
    })
}

/// `overdue`: `true`, `false` or left out.
fn overdue_param(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw.map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            "Invalid Query",
            "overdue: expected true or false",
        )),
    }
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

/// Lists orders, oldest change first, a page at a time; with `overdue=true`, only overdue
/// orders, oldest deadline first.
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
    let now = state.clock.now();
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
    let overdue = overdue_param(query.overdue.as_deref())?;
    let on_hold = query.on_hold.as_deref().map(hold_filter).transpose()?;
    if let Some(external) = query.external_id.as_deref() {
        let channel = channel.ok_or_else(|| {
            ApiError::bad_request("Invalid Query", "external_id: needs channel as well")
        })?;
        let external = ExternalOrderId::parse(external).map_err(invalid("external_id"))?;
        let found = state.service.order_by_external(&channel, &external).await?;
        return Ok(Json(OrderPageOut {
            orders: found
                .iter()
                .filter(|o| !overdue || o.is_overdue(now))
                .filter(|o| on_hold.is_none_or(|held| o.on_hold() == held))
                .map(|o| dto::order(o, &[], now))
                .collect(),
            next_cursor: None,
        }));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = limit(query.limit)?;
    if overdue {
        return list_overdue(&state, statuses, channel, &query, after, limit, now).await;
    }
    let after = match after {
        Some(Cursor::Deadline(_)) => {
            return Err(ApiError::bad_request(
                "Invalid Query",
                "cursor: a cursor of the overdue listing; pass it with overdue=true",
            ));
        }
        Some(Cursor::Updated(cursor)) => Some(cursor),
        None => None,
    };
    let updated_after = query
        .updated_after
        .as_deref()
        .map(|t| time("updated_after", t))
        .transpose()?;
    let page = state
        .service
        .orders(&OrderQuery {
            statuses,
            channel,
            updated_after,
            on_hold,
            after,
            limit,
        })
        .await?;
    Ok(Json(OrderPageOut {
        orders: page
            .orders
            .iter()
            .map(|o| dto::order(o, &[], now))
            .collect(),
        next_cursor: page.next.map(|c| encode_cursor(Cursor::Updated(c))),
    }))
}

/// `GET /v1/orders?overdue=true`: overdue orders at `now`, oldest deadline first.
async fn list_overdue(
    state: &AppState,
    statuses: Vec<OrderStatus>,
    channel: Option<ChannelId>,
    query: &OrdersQuery,
    after: Option<Cursor>,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Json<OrderPageOut>, ApiError> {
    if query.updated_after.is_some() {
        return Err(ApiError::bad_request(
            "Invalid Query",
            "updated_after: not with overdue=true, whose orders come by deadline",
        ));
    }
    if query.on_hold.is_some() {
        return Err(ApiError::bad_request(
            "Invalid Query",
            "on_hold: not with overdue=true (the overdue listing includes held orders)",
        ));
    }
    let after = match after {
        Some(Cursor::Updated(_)) => {
            return Err(ApiError::bad_request(
                "Invalid Query",
                "cursor: a cursor of the listing by change time; it does not page overdue=true",
            ));
        }
        Some(Cursor::Deadline(cursor)) => Some(cursor),
        None => None,
    };
    let page = state
        .deadlines
        .overdue(&OverdueQuery {
            now,
            statuses,
            channel,
            after,
            limit,
        })
        .await?;
    Ok(Json(OrderPageOut {
        orders: page
            .orders
            .iter()
            .map(|o| dto::order(o, &[], now))
            .collect(),
        next_cursor: page.next.map(|c| encode_cursor(Cursor::Deadline(c))),
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
    Ok(Json(dto::order_detail(
        &order,
        &deliveries,
        state.clock.now(),
    )))
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

//! The warehouse API's delivery routes: list (parked ones, for an operator), retry one or many,
//! resolve one done by hand.

use axum::Json;
use axum::extract::{Path, State};
use orderbridge_domain::outbox::DeliveryState;
use orderbridge_domain::ports::store::DeliveryQuery;
use orderbridge_domain::services::{MAX_NOTE_CHARS, RetryFilter};
use orderbridge_domain::values::{ChannelId, DeliveryId, OrderId};

use crate::AppState;
use crate::dto::fields::{invalid, keyset_page, limit, one_line, time};
use crate::dto::{
    self, DeliveriesQuery, DeliveryOut, DeliveryPageOut, ResolveIn, RetriedOut, RetryIn,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams};

fn delivery_id(field: &str, raw: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(raw)
        .map_err(|_| ApiError::bad_request("Invalid Request", format!("{field}: expected a UUID")))
}

/// Lists deliveries, newest first; `state=dead` lists the parked ones.
#[utoipa::path(get, path = "/v1/deliveries", tag = "warehouse", security(("warehouse_key" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPageOut),
        (status = 400, description = "A bad filter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<DeliveriesQuery>,
) -> Result<Json<DeliveryPageOut>, ApiError> {
    let limit = limit(query.limit)?;
    let filter = DeliveryQuery {
        state: query
            .state
            .as_deref()
            .map(|s| DeliveryState::parse(s.trim()).map_err(invalid("state")))
            .transpose()?,
        order_id: query
            .order_id
            .as_deref()
            .map(|o| OrderId::parse(o).map_err(invalid("order_id")))
            .transpose()?,
        channel: query
            .channel
            .as_deref()
            .map(|c| ChannelId::parse(c.trim()).map_err(invalid("channel")))
            .transpose()?,
        after: query
            .cursor
            .as_deref()
            .map(|c| delivery_id("cursor", c))
            .transpose()?,
        limit: limit + 1,
        ..DeliveryQuery::default()
    };
    let found = state.deliveries.deliveries(&filter).await?;
    let (found, next_cursor) = keyset_page(found, limit, |d| d.id.to_string());
    Ok(Json(DeliveryPageOut {
        next_cursor,
        deliveries: found.iter().map(dto::delivery).collect(),
    }))
}

/// Puts a parked (dead) delivery back in the queue, due now.
#[utoipa::path(post, path = "/v1/deliveries/{id}/retry", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The delivery's id")),
    responses(
        (status = 200, description = "Queued again", body = DeliveryOut),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "The delivery is not dead", body = ErrorBody),
    ))]
pub(crate) async fn retry_delivery(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeliveryOut>, ApiError> {
    let id = delivery_id("id", &id)?;
    let delivery = state.deliveries.requeue_delivery(id).await?;
    tracing::info!(delivery_id = %id, order_id = %delivery.order_id, "delivery requeued by an operator");
    Ok(Json(dto::delivery(&delivery)))
}

/// Marks a parked (or pending) delivery as done by hand on the marketplace: it is never sent
/// again, the deliveries waiting for it go, and the order's history keeps the note.
#[utoipa::path(post, path = "/v1/deliveries/{id}/resolve", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The delivery's id")),
    request_body = ResolveIn,
    responses(
        (status = 200, description = "Resolved", body = DeliveryOut),
        (status = 400, description = "The id is not a UUID, or the note is empty or too long", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "The delivery is delivered, resolved or superseded already, or being sent right now", body = ErrorBody),
    ))]
pub(crate) async fn resolve_delivery(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ResolveIn>,
) -> Result<Json<DeliveryOut>, ApiError> {
    let id = delivery_id("id", &id)?;
    let text = one_line("note", &body.note, MAX_NOTE_CHARS)?;
    let by = body
        .by
        .as_deref()
        .map(|by| one_line("by", by, 100))
        .transpose()?;
    let delivery = state
        .deliveries
        .resolve_delivery(id, &text, by.as_deref())
        .await?;
    tracing::info!(delivery_id = %id, order_id = %delivery.order_id, "delivery resolved by hand by an operator");
    Ok(Json(dto::delivery(&delivery)))
}

/// Puts every delivery matching the filter back in the queue, due now, and answers how many.
#[utoipa::path(post, path = "/v1/deliveries/retry", tag = "warehouse", security(("warehouse_key" = [])),
    request_body = RetryIn,
    responses(
        (status = 200, description = "How many deliveries were requeued", body = RetriedOut),
        (status = 400, description = "A bad channel, state or time range", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub(crate) async fn retry_deliveries(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RetryIn>,
) -> Result<Json<RetriedOut>, ApiError> {
    let filter = retry_filter(&body)?;
    let requeued = state.deliveries.retry_matching(&filter).await?;
    tracing::info!(requeued, channel = ?filter.channel.as_ref().map(ChannelId::as_str), state = filter.state.as_str(), "deliveries requeued in bulk by an operator");
    Ok(Json(RetriedOut { requeued }))
}

fn retry_filter(body: &RetryIn) -> Result<RetryFilter, ApiError> {
    let state = match body.state.as_deref().map(str::trim) {
        None | Some("dead") => DeliveryState::Dead,
        Some("pending") => DeliveryState::Pending,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid Request",
                "state: expected dead or pending",
            ));
        }
    };
    let created_from = body
        .created_from
        .as_deref()
        .map(|t| time("created_from", t))
        .transpose()?;
    let created_before = body
        .created_before
        .as_deref()
        .map(|t| time("created_before", t))
        .transpose()?;
    if let (Some(from), Some(before)) = (created_from, created_before)
        && from >= before
    {
        return Err(ApiError::bad_request(
            "Invalid Request",
            "created_before: must be later than created_from",
        ));
    }
    Ok(RetryFilter {
        channel: body
            .channel
            .as_deref()
            .map(|c| ChannelId::parse(c.trim()).map_err(invalid("channel")))
            .transpose()?,
        state,
        created_from,
        created_before,
    })
}

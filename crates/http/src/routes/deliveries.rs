//! The warehouse API's delivery routes: list (parked ones, for an operator) and retry.

use axum::Json;
use axum::extract::{Path, State};
use orderbridge_domain::outbox::DeliveryState;
use orderbridge_domain::ports::store::DeliveryQuery;
use orderbridge_domain::values::{DeliveryId, OrderId};

use crate::AppState;
use crate::dto::fields::{invalid, limit};
use crate::dto::{self, DeliveriesQuery, DeliveryOut, DeliveryPageOut};
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;

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
        after: query
            .cursor
            .as_deref()
            .map(|c| delivery_id("cursor", c))
            .transpose()?,
        limit: limit + 1,
    };
    let mut found = state.deliveries.deliveries(&filter).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok(Json(DeliveryPageOut {
        next_cursor: if more {
            found.last().map(|d| d.id.to_string())
        } else {
            None
        },
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

//! The warehouse API's inbound quarantine routes: what marketplaces sent that could not be
//! turned into orders, kept whole; list, read one, replay, discard.

use axum::Json;
use axum::extract::{Path, State};
use orderbridge_domain::inbound::{InboundQuery, InboundState};
use orderbridge_domain::ports::store::InboundError;
use orderbridge_domain::services::Quarantine;
use orderbridge_domain::values::{ChannelId, InboundId};

use crate::AppState;
use crate::dto::fields::{invalid, keyset_page, limit};
use crate::dto::{self, InboundOut, InboundPageOut, InboundQueryIn, ReplayOut};
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;

impl From<InboundError> for ApiError {
    fn from(error: InboundError) -> Self {
        match error {
            InboundError::NotFound(id) => ApiError::not_found(&format!("inbound entry {id}")),
            e @ InboundError::Closed { .. } => ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "Inbound Closed",
                e.to_string(),
            ),
            InboundError::Store(e) => ApiError::internal(&e),
        }
    }
}

fn inbound_id(field: &str, raw: &str) -> Result<InboundId, ApiError> {
    InboundId::parse(raw)
        .map_err(|_| ApiError::bad_request("Invalid Request", format!("{field}: expected a UUID")))
}

fn quarantine(state: &AppState) -> Result<&Quarantine, ApiError> {
    state
        .service
        .quarantine()
        .ok_or_else(|| ApiError::not_found("the inbound quarantine (not kept by this service)"))
}

/// Lists quarantined bodies, newest first; `state=rejected` lists those waiting for an
/// operator. Bodies are left out (read one entry for its body).
#[utoipa::path(get, path = "/v1/inbound", tag = "warehouse", security(("warehouse_key" = [])),
    params(InboundQueryIn),
    responses(
        (status = 200, description = "A page of entries", body = InboundPageOut),
        (status = 400, description = "A bad filter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub(crate) async fn list_inbound(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<InboundQueryIn>,
) -> Result<Json<InboundPageOut>, ApiError> {
    let limit = limit(query.limit)?;
    let filter = InboundQuery {
        state: query
            .state
            .as_deref()
            .map(|s| InboundState::parse(s.trim()).map_err(invalid("state")))
            .transpose()?,
        channel: query
            .channel
            .as_deref()
            .map(|c| ChannelId::parse(c.trim()).map_err(invalid("channel")))
            .transpose()?,
        after: query
            .cursor
            .as_deref()
            .map(|c| inbound_id("cursor", c))
            .transpose()?,
        limit: limit + 1,
    };
    let found = quarantine(&state)?.entries(&filter).await?;
    let (found, next_cursor) = keyset_page(found, limit, |e| e.id.to_string());
    Ok(Json(InboundPageOut {
        next_cursor,
        entries: found.iter().map(|e| dto::inbound(e, false)).collect(),
    }))
}

/// One quarantined body, with the body itself (as text when it is UTF-8, and base64).
#[utoipa::path(get, path = "/v1/inbound/{id}", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "The entry", body = InboundOut),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ))]
pub(crate) async fn get_inbound(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InboundOut>, ApiError> {
    let id = inbound_id("id", &id)?;
    let entry = quarantine(&state)?
        .entry(id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("inbound entry {id}")))?;
    Ok(Json(dto::inbound(&entry, true)))
}

/// Discards a rejected entry: it is not an order to keep. It stays listed as `discarded`.
#[utoipa::path(post, path = "/v1/inbound/{id}/discard", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "Discarded", body = InboundOut),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Replayed or discarded already", body = ErrorBody),
    ))]
pub(crate) async fn discard_inbound(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InboundOut>, ApiError> {
    let id = inbound_id("id", &id)?;
    let entry = quarantine(&state)?.discard(id).await?;
    tracing::info!(inbound_id = %id, channel = %entry.channel, "inbound entry discarded by an operator");
    Ok(Json(dto::inbound(&entry, false)))
}

/// Reads a rejected entry again with the current code and settings of its channel's webhook:
/// when it now reads, the order is created (or found, when it came again meanwhile) and the
/// entry is closed as replayed; when it still cannot be read, it stays rejected with the new
/// reason. Answers what happened.
#[utoipa::path(post, path = "/v1/inbound/{id}/replay", tag = "warehouse", security(("warehouse_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "What the replay came to", body = ReplayOut),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Replayed or discarded already", body = ErrorBody),
    ))]
pub(crate) async fn replay_inbound(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReplayOut>, ApiError> {
    let id = inbound_id("id", &id)?;
    let quarantine = quarantine(&state)?;
    let (entry, outcome) = quarantine.replay(id, &state.service).await?;
    tracing::info!(inbound_id = %id, channel = %entry.channel, outcome = ?outcome, "inbound entry replayed by an operator");
    Ok(Json(dto::replay(&entry, &outcome)))
}

//! The warehouse API's channel routes: every channel account with its health and queue, and an
//! operator's pause and resume.

use axum::Json;
use axum::extract::{Path, State};
use orderbridge_domain::services::ChannelActionError;
use orderbridge_domain::values::ChannelId;

use crate::AppState;
use crate::dto::fields::one_line;
use crate::dto::{self, ChannelOut, ChannelsOut, PauseIn};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

impl From<ChannelActionError> for ApiError {
    fn from(error: ChannelActionError) -> Self {
        match error {
            ChannelActionError::Unknown(channel) => {
                ApiError::not_found(&format!("channel {channel}"))
            }
            ChannelActionError::Store(e) => ApiError::internal(&e),
        }
    }
}

fn channel_id(raw: &str) -> Result<ChannelId, ApiError> {
    ChannelId::parse(raw)
        .map_err(|e| ApiError::bad_request("Invalid Request", format!("channel: {e}")))
}

/// Every configured channel account: health (`active`, `backing_off`, `paused` with reason and
/// since), pending and parked deliveries, the oldest pending one's age, the last success.
#[utoipa::path(get, path = "/v1/channels", tag = "warehouse", security(("warehouse_key" = [])),
    responses(
        (status = 200, description = "The channel accounts", body = ChannelsOut),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub(crate) async fn list_channels(
    State(state): State<AppState>,
) -> Result<Json<ChannelsOut>, ApiError> {
    let now = state.clock.now();
    let channels = state.channels.channels().await?;
    Ok(Json(ChannelsOut {
        channels: channels.iter().map(|c| dto::channel(c, now)).collect(),
    }))
}

/// Pauses a channel account by hand: its deliveries wait (never parked for it) until an
/// operator resumes it. Pausing a paused channel changes nothing.
#[utoipa::path(post, path = "/v1/channels/{channel}/pause", tag = "warehouse", security(("warehouse_key" = [])),
    params(("channel" = String, Path, description = "The channel account's id")),
    request_body = PauseIn,
    responses(
        (status = 200, description = "Paused", body = ChannelOut),
        (status = 400, description = "A bad id or reason", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such channel account", body = ErrorBody),
    ))]
pub(crate) async fn pause_channel(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    JsonBody(body): JsonBody<PauseIn>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = channel_id(&channel)?;
    let reason = match body.note.as_deref() {
        Some(text) => one_line("note", text, 500)?,
        None => "paused by an operator".to_owned(),
    };
    state.channels.pause(&id, &reason).await?;
    tracing::warn!(channel = %id, "channel paused by an operator");
    one(&state, &id).await
}

/// Resumes a paused or backing-off channel account at once: its due deliveries go out.
/// Resuming an active channel changes nothing.
#[utoipa::path(post, path = "/v1/channels/{channel}/resume", tag = "warehouse", security(("warehouse_key" = [])),
    params(("channel" = String, Path, description = "The channel account's id")),
    responses(
        (status = 200, description = "Active", body = ChannelOut),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
        (status = 404, description = "No such channel account", body = ErrorBody),
    ))]
pub(crate) async fn resume_channel(
    State(state): State<AppState>,
    Path(channel): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = channel_id(&channel)?;
    state.channels.resume(&id).await?;
    tracing::info!(channel = %id, "channel resumed by an operator");
    one(&state, &id).await
}

async fn one(state: &AppState, id: &ChannelId) -> Result<Json<ChannelOut>, ApiError> {
    let now = state.clock.now();
    state
        .channels
        .channels()
        .await?
        .iter()
        .find(|c| c.health.channel == *id)
        .map(|c| Json(dto::channel(c, now)))
        .ok_or_else(|| ApiError::not_found(&format!("channel {id}")))
}

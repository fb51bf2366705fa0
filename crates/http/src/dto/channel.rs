//! Channel accounts as the warehouse API shows them: health and queue.

use chrono::{DateTime, Utc};
use orderbridge_domain::health;
use orderbridge_domain::services::ChannelView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A channel account's health state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    /// Deliveries go out as they fall due.
    Active,
    /// Waiting as a whole after transient failures in a row.
    BackingOff,
    /// Nothing is sent until it resumes.
    Paused,
}

impl From<health::ChannelState> for ChannelState {
    fn from(state: health::ChannelState) -> Self {
        match state {
            health::ChannelState::Active => Self::Active,
            health::ChannelState::BackingOff => Self::BackingOff,
            health::ChannelState::Paused => Self::Paused,
        }
    }
}

/// Who paused a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PausedBy {
    /// The marketplace refused the credentials; probed, and resumed by itself.
    Credentials,
    /// An operator; resumed by an operator.
    Operator,
}

impl From<health::PausedBy> for PausedBy {
    fn from(by: health::PausedBy) -> Self {
        match by {
            health::PausedBy::Credentials => Self::Credentials,
            health::PausedBy::Operator => Self::Operator,
        }
    }
}

/// One channel account: its health and its queue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelOut {
    /// The channel account's id.
    pub channel: String,
    /// Its health.
    pub state: ChannelState,
    /// Why it is backing off or paused (free text; `reason` names fixed values elsewhere in
    /// this API).
    pub state_reason: Option<String>,
    /// Who paused it.
    pub paused_by: Option<PausedBy>,
    /// Since when it is in this state.
    pub since: DateTime<Utc>,
    /// Backing off: when the wait ends. Paused for its credentials: the next probe.
    pub until: Option<DateTime<Utc>>,
    /// Pending deliveries.
    pub pending: u64,
    /// Parked deliveries.
    pub parked: u64,
    /// How long the oldest pending delivery has waited, in seconds.
    pub oldest_pending_age_secs: Option<i64>,
    /// When a delivery last went through.
    pub last_success: Option<DateTime<Utc>>,
}

/// Every configured channel account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelsOut {
    pub channels: Vec<ChannelOut>,
}

/// `POST /v1/channels/{id}/pause`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseIn {
    /// Why, shown with the channel as its `state_reason` (default: "paused by an operator").
    #[schema(min_length = 1, max_length = 500)]
    pub note: Option<String>,
}

/// A channel as the API shows it, at `now`.
#[must_use]
pub fn channel(view: &ChannelView, now: DateTime<Utc>) -> ChannelOut {
    let health = &view.health;
    ChannelOut {
        channel: health.channel.to_string(),
        state: health.state.into(),
        state_reason: health.reason.clone(),
        paused_by: health.paused_by.map(Into::into),
        since: health.since,
        until: health.until,
        pending: view.stats.pending,
        parked: view.stats.dead,
        oldest_pending_age_secs: view
            .stats
            .oldest_pending
            .map(|oldest| (now - oldest).num_seconds().max(0)),
        last_success: health.last_success,
    }
}

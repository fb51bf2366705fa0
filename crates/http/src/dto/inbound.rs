//! Quarantined inbound bodies as the warehouse API shows them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use orderbridge_domain::inbound::{self, Inbound};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a quarantined body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundState {
    /// It could not be read; waiting for an operator.
    Rejected,
    /// Replayed into an order.
    Replayed,
    /// Discarded by an operator.
    Discarded,
}

impl From<inbound::InboundState> for InboundState {
    fn from(state: inbound::InboundState) -> Self {
        match state {
            inbound::InboundState::Rejected => Self::Rejected,
            inbound::InboundState::Replayed => Self::Replayed,
            inbound::InboundState::Discarded => Self::Discarded,
        }
    }
}

/// A body a marketplace sent that could not be turned into an order, kept whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboundOut {
    pub id: Uuid,
    /// The channel account it came from.
    pub channel: String,
    /// The marketplace's order id, when one could be found in it.
    pub external_id: Option<String>,
    /// Where it stands.
    pub state: InboundState,
    /// Why it could not be read.
    pub error: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// How many times it arrived.
    pub seen: u32,
    /// The order it was replayed into.
    pub order_id: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the body was erased under `retention.days` (it is then empty); null while kept.
    pub body_erased_at: Option<DateTime<Utc>>,
    /// The body's size in bytes.
    pub body_bytes: usize,
    /// The body as text, when it is UTF-8 (one entry only; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// The body exactly, base64 (one entry only; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

/// A page of quarantined bodies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboundPageOut {
    pub entries: Vec<InboundOut>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(format = Uuid)]
    pub next_cursor: Option<String>,
}

/// An entry as the API shows it; `with_body` adds the body itself.
#[must_use]
pub fn inbound(entry: &Inbound, with_body: bool) -> InboundOut {
    InboundOut {
        id: entry.id.as_uuid(),
        channel: entry.channel.to_string(),
        external_id: entry.external_id.clone(),
        state: entry.state.into(),
        error: entry.error.clone(),
        first_seen_at: entry.first_seen_at,
        last_seen_at: entry.last_seen_at,
        seen: entry.seen,
        order_id: entry.order_id.map(|o| o.as_uuid()),
        closed_at: entry.closed_at,
        body_erased_at: entry.erased_at,
        body_bytes: entry.body.len(),
        body_text: with_body
            .then(|| String::from_utf8(entry.body.clone()).ok())
            .flatten(),
        body_base64: with_body.then(|| STANDARD.encode(&entry.body)),
    }
}

/// What a replay came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplayOutcome {
    /// It now reads: the order was created.
    Created,
    /// It now reads, and the order existed already.
    Existing,
    /// It still cannot be read; it stays rejected with the new reason.
    StillRejected,
}

/// The answer of a replay.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplayOut {
    /// What it came to.
    pub outcome: ReplayOutcome,
    /// The order it was replayed into.
    pub order_id: Option<Uuid>,
    /// Why it still cannot be read.
    pub error: Option<String>,
    /// The entry after the replay.
    pub entry: InboundOut,
}

/// A replay's answer.
#[must_use]
pub fn replay(entry: &Inbound, outcome: &orderbridge_domain::services::Replay) -> ReplayOut {
    use orderbridge_domain::services::Replay;
    let (outcome, order_id, error) = match outcome {
        Replay::Created(order) => (ReplayOutcome::Created, Some(order.as_uuid()), None),
        Replay::Existing(order) => (ReplayOutcome::Existing, Some(order.as_uuid()), None),
        Replay::StillRejected(reason) => (ReplayOutcome::StillRejected, None, Some(reason.clone())),
    };
    ReplayOut {
        outcome,
        order_id,
        error,
        entry: inbound(entry, false),
    }
}

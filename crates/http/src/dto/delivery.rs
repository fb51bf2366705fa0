//! Deliveries to marketplaces as the warehouse API shows them.

use chrono::{DateTime, Utc};
use orderbridge_domain::outbox::Delivery;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::enums::{DeliveryKind, DeliveryState};

/// A queued report to a marketplace and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    pub order_id: Uuid,
    pub channel: String,
    /// What it reports.
    pub kind: DeliveryKind,
    /// The fulfillment, cancellation or refund it reports.
    pub subject: Option<Uuid>,
    /// The refund line, for per-line refunds.
    pub line: Option<u32>,
    /// Where it stands.
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, as the marketplace gave it.
    pub last_error: Option<String>,
    /// The marketplace's reference.
    pub remote_ref: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A page of deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPageOut {
    pub deliveries: Vec<DeliveryOut>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(format = Uuid)]
    pub next_cursor: Option<String>,
}

/// A delivery as the API shows it.
#[must_use]
pub fn delivery(d: &Delivery) -> DeliveryOut {
    DeliveryOut {
        id: d.id.as_uuid(),
        order_id: d.order_id.as_uuid(),
        channel: d.channel.to_string(),
        kind: DeliveryKind::from(&d.kind),
        subject: d.kind.subject(),
        line: d.kind.line().map(|l| l.get()),
        state: d.state.into(),
        attempts: d.attempts,
        created_at: d.created_at,
        next_attempt_at: d.next_attempt_at,
        last_error: d.last_error.clone(),
        remote_ref: d.remote_ref.clone(),
        delivered_at: d.delivered_at,
    }
}

/// `POST /v1/deliveries/{id}/resolve`: the delivery was done by hand on the marketplace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveIn {
    /// What was done, kept in the order's history.
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
    /// Who resolved it, kept in the history beside the note.
    #[schema(min_length = 1, max_length = 100)]
    pub by: Option<String>,
}

/// `POST /v1/deliveries/retry`: which deliveries to put back in the queue, due now. Every
/// field is optional; `{}` retries every parked delivery.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryIn {
    /// Only this channel account's deliveries.
    pub channel: Option<String>,
    /// `dead` (the default: parked deliveries) or `pending` (pending ones waiting for their
    /// next attempt, made due now).
    #[schema(value_type = Option<RetryState>)]
    pub state: Option<String>,
    /// Only deliveries queued at or after this time (RFC 3339 with an offset).
    #[schema(format = DateTime)]
    pub created_from: Option<String>,
    /// Only deliveries queued before this time (RFC 3339 with an offset).
    #[schema(format = DateTime)]
    pub created_before: Option<String>,
}

/// The states a bulk retry takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryState {
    /// Parked deliveries.
    Dead,
    /// Pending deliveries waiting for their next attempt.
    Pending,
}

/// The answer of a bulk retry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RetriedOut {
    /// How many deliveries were put back in the queue.
    pub requeued: u64,
}

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

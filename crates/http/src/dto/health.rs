//! The answers of `/healthz` and `/readyz`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::enums::HealthStatus;

/// `/healthz` and `/readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    pub status: HealthStatus,
}

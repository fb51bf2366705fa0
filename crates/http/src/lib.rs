//! orderbridge's inbound HTTP API on axum: the ADM `orders/create` webhook, the warehouse API
//! under `/v1`, health, readiness, metrics and the OpenAPI document.
//!
//! Invariant: handlers call the domain's services only; no SQL and no marketplace calls here,
//! and no marketplace's JSON except through that marketplace's crate (`orderbridge-adm`).

mod auth;
mod dto;
mod error;
mod extract;
mod middleware;
mod openapi;
mod routes;
mod shed;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::Health;
use orderbridge_domain::services::{
    ChannelService, DeadlineService, DeliveryService, OrderService,
};

pub use error::{ApiError, ErrorBody};
pub use orderbridge_domain::values::{ApiKeys, Secret};
pub use routes::webhooks::Webhooks;

/// Limits of the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiConfig {
    /// The largest request body accepted, in bytes (413 above it).
    pub body_limit: usize,
    /// How long a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Requests handled at once at most; more are answered 503 with `Retry-After` at once.
    pub max_in_flight: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
        }
    }
}

/// Renders the metrics registry as Prometheus text.
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The operations on orders.
    pub service: OrderService,
    /// The operators' actions on deliveries.
    pub deliveries: DeliveryService,
    /// The channels' health and the operators' actions on it.
    pub channels: ChannelService,
    /// Overdue orders.
    pub deadlines: DeadlineService,
    /// The store's health, for readiness.
    pub health: Arc<dyn Health>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The webhooks of the push channel accounts.
    pub webhooks: Webhooks,
    /// Keys of the warehouse API.
    pub warehouse_keys: ApiKeys,
    /// The metrics registry, if metrics are enabled.
    pub metrics: Option<MetricsRender>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("webhooks", &self.webhooks)
            .field("warehouse_keys", &self.warehouse_keys)
            .finish_non_exhaustive()
    }
}

/// The whole API as one router, with its middleware (load shedding outermost). The binary
/// serves it on hyper with its connection limits; tests call it in process.
pub fn router(state: AppState, config: &ApiConfig) -> Router {
    routes::router(state, config, Router::new())
}

/// The API with `pages` beside it (the operator console): they get the same layers (load
/// shedding, timeouts, request ids and spans, credential headers kept out of logs) and answer
/// for themselves; their HTML error pages are left as they are.
pub fn router_with_pages(state: AppState, config: &ApiConfig, pages: Router) -> Router {
    routes::router(state, config, pages)
}

/// The OpenAPI document of the API (OpenAPI 3.1), as served at `/openapi.json`.
#[must_use]
pub fn openapi_json() -> String {
    openapi::document()
}

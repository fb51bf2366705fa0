//! orderbridge's operator console (design section 13): server-rendered pages at `/console` for
//! the bad days: orders, one order, deliveries, the inbound quarantine and the channels, with
//! the operators' actions as posted forms.
//!
//! Invariant: like the HTTP API, it calls the domain's services only (the same ones the API
//! calls), never a store; it depends on the domain and on what the HTTP crate may use. Every
//! page needs a session, opened with a warehouse key; every form carries a CSRF token; every
//! text is escaped by the templates (maud escapes whatever it interpolates); customer data
//! shows on an order's page only (and in a quarantined body, on its entry's page only).

mod assets;
mod channels;
mod deliveries;
mod guard;
mod inbound;
mod input;
mod order;
mod orders;
mod page;
mod session;
mod signin;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::services::{
    ChannelService, DeadlineService, DeliveryService, OrderService,
};
use orderbridge_domain::values::ApiKeys;

use crate::session::Sessions;

/// The console's tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// How long a session lasts from sign-in, however busy it is.
    pub session_lifetime: Duration,
    /// How long a session lasts without a request.
    pub session_idle: Duration,
    /// Sessions kept at most; past it, the oldest is signed out (a cap on memory that no flood
    /// of sign-ins can pass).
    pub max_sessions: usize,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(3600),
            max_sessions: 1_000,
        }
    }
}

/// The services the console calls: the same the warehouse API calls.
#[derive(Debug, Clone)]
pub struct Services {
    /// Orders (and, through it, the inbound quarantine).
    pub orders: OrderService,
    /// The operators' actions on deliveries.
    pub deliveries: DeliveryService,
    /// The channels' health, pause and resume.
    pub channels: ChannelService,
    /// Overdue orders.
    pub deadlines: DeadlineService,
}

/// The console: its services, the warehouse keys that open a session, and the sessions.
/// Cheap to clone.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    services: Services,
    keys: ApiKeys,
    clock: Arc<dyn Clock>,
    sessions: Sessions,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console over `services`, opened by any of `keys` (the warehouse API's keys).
    #[must_use]
    pub fn new(
        services: Services,
        keys: ApiKeys,
        clock: Arc<dyn Clock>,
        config: ConsoleConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                services,
                keys,
                sessions: Sessions::new(config),
                clock,
            }),
        }
    }

    fn services(&self) -> &Services {
        &self.inner.services
    }

    fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }
}

/// The console's routes, all under `/console`. Every page but the sign-in form and the static
/// files needs a session; every POST needs the session's CSRF token.
pub fn router(console: Console) -> Router {
    let signed_in = Router::new()
        .route("/console", get(orders::home))
        .route("/console/orders", get(orders::list))
        .route("/console/orders/{id}", get(order::show))
        .route("/console/deliveries", get(deliveries::list))
        .route("/console/deliveries/retry", post(deliveries::retry_all))
        .route("/console/deliveries/{id}/retry", post(deliveries::retry))
        .route(
            "/console/deliveries/{id}/resolve",
            post(deliveries::resolve),
        )
        .route("/console/inbound", get(inbound::list))
        .route("/console/inbound/{id}", get(inbound::show))
        .route("/console/inbound/{id}/replay", post(inbound::replay))
        .route("/console/inbound/{id}/discard", post(inbound::discard))
        .route("/console/channels", get(channels::list))
        .route("/console/channels/{id}/pause", post(channels::pause))
        .route("/console/channels/{id}/resume", post(channels::resume))
        .route("/console/sign-out", post(signin::sign_out))
        .route_layer(axum::middleware::from_fn_with_state(
            console.clone(),
            guard::require_session,
        ));
    Router::new()
        .route("/console/", get(orders::home))
        .route(
            "/console/sign-in",
            get(signin::form_page).post(signin::sign_in),
        )
        .route("/console/static/{file}", get(assets::file))
        .merge(signed_in)
        .layer(axum::middleware::from_fn(guard::page_headers))
        .with_state(console)
}

//! The control path of a fault injector: `GET` shows the pending faults, `POST` applies a
//! [`FaultPlan`], `DELETE` clears them (see the module docs of [`crate::faults`]).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::kit::faults::{FAULTS_PATH, FaultInjector, FaultPlan};
use crate::kit::server::json_error;

impl FaultInjector {
    /// The control routes ([`FAULTS_PATH`]) for this injector.
    pub(crate) fn routes(&self) -> Router {
        self.routes_at(FAULTS_PATH)
    }

    /// The same control routes at another path, for a fake with a second injector (the fake
    /// FeedAMP's token route has its own).
    pub(crate) fn routes_at(&self, path: &str) -> Router {
        Router::new()
            .route(path, get(show_faults).post(set_faults).delete(clear_faults))
            .with_state(self.clone())
    }
}

async fn show_faults(State(faults): State<FaultInjector>) -> Response {
    axum::Json(faults.pending()).into_response()
}

async fn set_faults(State(faults): State<FaultInjector>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            faults.apply(&plan);
            tracing::debug!(?plan, "sandbox faults set");
            axum::Json(faults.pending()).into_response()
        }
        Err(error) => json_error(
            StatusCode::BAD_REQUEST,
            "Invalid Fault Plan",
            &format!("expected a JSON fault plan: {error}"),
        ),
    }
}

async fn clear_faults(State(faults): State<FaultInjector>) -> Response {
    faults.clear();
    axum::Json(faults.pending()).into_response()
}

//! Health, readiness, metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::dto::HealthOut;
use crate::dto::enums::HealthStatus;
use crate::error::{ApiError, ErrorBody};

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = HealthOut)))]
pub(crate) async fn healthz() -> Json<HealthOut> {
    Json(HealthOut {
        status: HealthStatus::Ok,
    })
}

/// The store answers: the service can take orders.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = HealthOut),
    (status = 503, description = "The store does not answer", body = ErrorBody)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match state.health.ping().await {
        Ok(()) => Json(HealthOut {
            status: HealthStatus::Ready,
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::unavailable("Not Ready", "the order store does not answer").into_response()
        }
    }
}

/// Prometheus metrics, as text.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
    (status = 404, description = "Metrics are off", body = ErrorBody)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(render) => ([(CONTENT_TYPE, "text/plain; version=0.0.4")], render()).into_response(),
        None => ApiError::not_found("metrics").into_response(),
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(crate::openapi::document);
    ([(CONTENT_TYPE, "application/json")], document.as_str()).into_response()
}

//! Cross-cutting layers: request ids, request spans, timeouts, panics and the rule that every
//! error answer is JSON.

use std::any::Any;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;

use crate::error::ApiError;

/// The header carrying the request id, taken from the caller or made up.
pub const REQUEST_ID: &str = "x-request-id";

/// Answers a panic in a handler with the opaque 500; the server keeps serving.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature CatchPanicLayer requires"
)]
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    tracing::error!(panic = %what, "a handler panicked");
    ApiError::server_error().into_response()
}

/// Whether an answer is JSON already, or an HTML page (the console's own error pages, which
/// a browser shows).
fn is_json_or_page(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"))
}

/// The JSON body for an error status some layer answered without one.
fn body_for(status: StatusCode) -> ApiError {
    let (title, message) = match status {
        StatusCode::NOT_FOUND => ("Not Found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("Method Not Allowed", "this route does not take that method")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Payload Too Large",
            "the request body is larger than this server accepts",
        ),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            ("Request Timeout", "the request took too long; try again")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Unsupported Media Type",
            "Content-Type must be application/json",
        ),
        s if s.is_server_error() => return ApiError::server_error(),
        _ => ("Request Failed", "the request could not be served"),
    };
    ApiError::new(status, title, message)
}

/// Records each routed request's latency by route, method and status.
pub async fn record_metrics(request: Request, next: Next) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics::histogram!(
        "orderbridge_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// Makes every 4xx and 5xx answer JSON `{error, message}`, whichever layer produced it (an HTML
/// page of the console stays a page).
pub async fn json_errors(request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    let status = response.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json_or_page(&response) {
        let mut replaced = body_for(status).into_response();
        if let Some(id) = response.headers().get(REQUEST_ID) {
            replaced.headers_mut().insert(REQUEST_ID, id.clone());
        }
        return replaced;
    }
    response
}

/// The request id of a request, for spans.
pub fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}
